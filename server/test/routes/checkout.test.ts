import type { Product } from '@vitrine/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../helpers/app.js';
import {
  ADDRESS,
  createModelAndPrint,
  createProduct,
  intentIdOf,
  orderRow,
  postCheckout,
  rowsFor,
  startShop,
  type Shop,
} from '../payments/shop.js';

describe('POST /api/checkout without Stripe keys', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(() => server.close());

  it('answers 503 payments_not_configured and says which keys are needed', async () => {
    const { status, body } = await postCheckout(server, {
      items: [{ productId: 'prd_x', quantity: 1 }],
    });

    expect(status).toBe(503);
    expect(body.error.code).toBe('payments_not_configured');
    expect(body.error.message).toContain('STRIPE_SECRET_KEY');
    expect(body.error.message).toContain('STRIPE_PUBLISHABLE_KEY');
    expect(body.error.message).toContain('README');
  });

  it('reports checkout as disabled on GET /api/checkout', async () => {
    const res = await server.request('/api/checkout');

    expect(await res.json()).toEqual({ enabled: false, publishableKey: null, currency: 'usd' });
  });
});

describe('POST /api/checkout', () => {
  let shop: Shop;
  let model: Product;
  let print: Product;
  let figure: Product;
  let sticker: Product;
  beforeAll(async () => {
    shop = await startShop();
    ({ model, print } = await createModelAndPrint(shop.server, 10));
    figure = await createProduct(shop.server, {
      name: 'Box figure',
      type: 'hybrid',
      price: 4000,
      physical: { sku: 'FIG-1', weightGrams: 200, stock: null },
    });
    sticker = await createProduct(shop.server, { name: 'Sticker', type: 'digital', price: 20 });
  });
  afterAll(() => shop.close());

  it('creates a pending order and ONE PaymentIntent at Stripe for the catalog price', async () => {
    const before = shop.fake.requestsTo('POST', '/v1/payment_intents').length;

    const { status, body } = await postCheckout(shop.server, {
      items: [{ productId: model.id, quantity: 1 }],
    });

    expect(status).toBe(201);
    expect(body).toMatchObject({
      total: { amount: 1200, currency: 'eur' },
      publishableKey: 'pk_test_vitrine_payments',
    });
    expect(body.orderId).toMatch(/^ord_/);
    expect(body.orderKey.length).toBeGreaterThanOrEqual(32);
    const calls = shop.fake.requestsTo('POST', '/v1/payment_intents');
    expect(calls.length - before).toBe(1);
    const call = calls.at(-1)!;
    expect(call.params).toMatchObject({
      amount: '1200',
      currency: 'eur',
      automatic_payment_methods: { enabled: 'true' },
      receipt_email: 'ada@example.com',
      metadata: {
        order_id: body.orderId,
        fulfillment_type: 'digital_download',
        product_type: 'digital',
      },
    });
    expect(call.params.shipping).toBeUndefined();
    expect(call.idempotencyKey).toContain(body.orderId);
    const intent = shop.fake.paymentIntents.get(intentIdOf(body.clientSecret))!;
    expect(intent.client_secret).toBe(body.clientSecret);
    const order = orderRow(shop.server, body.orderId);
    expect(order).toMatchObject({
      status: 'pending',
      total_amount: 1200,
      payment_intent_id: intent.id,
    });
    expect(order.key_hash).not.toContain(body.orderKey);
  });

  it('puts no order lines in the metadata, only the order pointer', async () => {
    const { body } = await postCheckout(shop.server, {
      items: [
        { productId: model.id, quantity: 1 },
        { productId: print.id, quantity: 2 },
      ],
      shippingAddress: ADDRESS,
    });

    const call = shop.fake.requestsTo('POST', '/v1/payment_intents').at(-1)!;
    expect(Object.keys(call.params.metadata).sort()).toEqual([
      'fulfillment_type',
      'order_id',
      'product_type',
    ]);
    expect(call.params.metadata).toEqual({
      order_id: body.orderId,
      fulfillment_type: 'digital_and_physical',
      product_type: 'mixed',
    });
  });

  it('adds a shipping line from the store rates and sends the address to Stripe', async () => {
    const { status, body } = await postCheckout(shop.server, {
      items: [{ productId: print.id, quantity: 2 }],
      shippingAddress: ADDRESS,
    });

    expect(status).toBe(201);
    // Flat rate 500 by default.
    expect(body.total).toEqual({ amount: 2 * 2500 + 500, currency: 'eur' });
    const items = rowsFor(
      shop.server,
      'SELECT kind, name, quantity, amount FROM order_items WHERE order_id = ? ORDER BY position',
      body.orderId,
    );
    expect(items).toEqual([
      { kind: 'product', name: 'Box print', quantity: 2, amount: 5000 },
      { kind: 'shipping', name: expect.stringContaining('DE'), quantity: 1, amount: 500 },
    ]);
    const call = shop.fake.requestsTo('POST', '/v1/payment_intents').at(-1)!;
    expect(call.params.shipping).toEqual({
      name: 'Ada Lovelace',
      address: { line1: '12 Analytical Row', city: 'Berlin', postal_code: '10115', country: 'DE' },
    });
    expect(call.params.metadata.fulfillment_type).toBe('physical_shipping');
  });

  it('routes a hybrid product to digital_and_physical and keeps its quantity', async () => {
    const { body } = await postCheckout(shop.server, {
      items: [{ productId: figure.id, quantity: 2 }],
      shippingAddress: ADDRESS,
    });

    expect(body.total.amount).toBe(2 * 4000 + 500);
    expect(orderRow(shop.server, body.orderId)).toMatchObject({
      fulfillment_type: 'digital_and_physical',
      product_type: 'hybrid',
    });
  });

  it('charges a digital licence once per order: a quantity above 1 and repeated lines are clamped', async () => {
    const { status, body } = await postCheckout(shop.server, {
      items: [
        { productId: model.id, quantity: 3 },
        { productId: model.id, quantity: 1 },
      ],
    });

    expect(status).toBe(201);
    expect(body.total.amount).toBe(1200);
    expect(
      rowsFor(shop.server, `SELECT quantity FROM order_items WHERE order_id = ?`, body.orderId),
    ).toEqual([{ quantity: 1 }]);
  });

  it('merges the same physical product named twice into one line', async () => {
    const { body } = await postCheckout(shop.server, {
      items: [
        { productId: print.id, quantity: 1 },
        { productId: print.id, quantity: 2 },
      ],
      shippingAddress: ADDRESS,
    });

    expect(
      rowsFor(
        shop.server,
        `SELECT quantity FROM order_items WHERE order_id = ? AND kind = 'product'`,
        body.orderId,
      ),
    ).toEqual([{ quantity: 3 }]);
  });

  it('refuses a cart with goods to ship but no address', async () => {
    const { status, body } = await postCheckout(shop.server, {
      items: [{ productId: print.id, quantity: 1 }],
    });

    expect(status).toBe(400);
    expect(body.error.code).toBe('invalid_request');
    expect(body.error.message).toContain('shippingAddress');
    expect(body.error.message).toContain('Box print');
  });

  it('refuses a country the store does not ship to', async () => {
    const { status, body } = await postCheckout(shop.server, {
      items: [{ productId: print.id, quantity: 1 }],
      shippingAddress: { ...ADDRESS, country: 'JP' },
    });

    expect(status).toBe(422);
    expect(body.error.code).toBe('shipping_unavailable');
  });

  it('answers 404 naming an unknown product, and creates nothing', async () => {
    const before = shop.fake.requestsTo('POST', '/v1/payment_intents').length;

    const { status, body } = await postCheckout(shop.server, {
      items: [{ productId: 'prd_unknown', quantity: 1 }],
    });

    expect(status).toBe(404);
    expect(body.error.message).toContain('prd_unknown');
    expect(shop.fake.requestsTo('POST', '/v1/payment_intents').length).toBe(before);
  });

  it('answers 400 naming an inactive product', async () => {
    const hidden = await createProduct(shop.server, {
      name: 'Hidden box',
      type: 'digital',
      price: 900,
      active: false,
    });

    const { status, body } = await postCheckout(shop.server, {
      items: [{ productId: hidden.id, quantity: 1 }],
    });

    expect(status).toBe(400);
    expect(body.error.message).toContain('Hidden box');
  });

  it('refuses a digital product whose model was never uploaded', async () => {
    const empty = await createProduct(shop.server, {
      name: 'Empty box',
      type: 'digital',
      price: 900,
      model: false,
    });

    const { status, body } = await postCheckout(shop.server, {
      items: [{ productId: empty.id, quantity: 1 }],
    });

    expect(status).toBe(400);
    expect(body.error.message).toContain('model file');
  });

  it("answers 422 amount_too_small below Stripe's minimum charge", async () => {
    const { status, body } = await postCheckout(shop.server, {
      items: [{ productId: sticker.id, quantity: 1 }],
    });

    expect(status).toBe(422);
    expect(body.error.code).toBe('amount_too_small');
    expect(body.error.message).toContain('€0.50');
  });

  it('refuses an invalid body with the field named', async () => {
    const { status, body } = await postCheckout(shop.server, { items: [], email: 'not-an-email' });

    expect(status).toBe(400);
    expect(body.error.message).toMatch(/items/);
    expect(body.error.message).toMatch(/email/);
  });

  it('never reuses an idempotency key or amount when the cart changes', async () => {
    const first = await postCheckout(shop.server, {
      items: [{ productId: model.id, quantity: 1 }],
    });
    const firstCall = shop.fake.requestsTo('POST', '/v1/payment_intents').at(-1)!;
    const second = await postCheckout(shop.server, {
      items: [
        { productId: model.id, quantity: 1 },
        { productId: figure.id, quantity: 1 },
      ],
      shippingAddress: ADDRESS,
    });
    const secondCall = shop.fake.requestsTo('POST', '/v1/payment_intents').at(-1)!;

    expect(second.body.orderId).not.toBe(first.body.orderId);
    expect(secondCall.idempotencyKey).not.toBe(firstCall.idempotencyKey);
    expect(secondCall.params.amount).toBe(String(1200 + 4000 + 500));
    expect(intentIdOf(second.body.clientSecret)).not.toBe(intentIdOf(first.body.clientSecret));
    expect(secondCall.replayed).toBe(false);
  });

  it('cancels the replaced order and its intent when the client names it', async () => {
    const first = await postCheckout(shop.server, {
      items: [{ productId: print.id, quantity: 1 }],
      shippingAddress: ADDRESS,
    });
    const stockAfterFirst = rowsFor(
      shop.server,
      'SELECT stock FROM products WHERE id = ?',
      print.id,
    )[0].stock;

    const second = await postCheckout(shop.server, {
      items: [{ productId: print.id, quantity: 2 }],
      shippingAddress: ADDRESS,
      replaces: { orderId: first.body.orderId, orderKey: first.body.orderKey },
    });

    expect(second.status).toBe(201);
    expect(orderRow(shop.server, first.body.orderId).status).toBe('canceled');
    expect(shop.fake.paymentIntents.get(intentIdOf(first.body.clientSecret))!.status).toBe(
      'canceled',
    );
    // The first order's unit came back before the second took two.
    expect(rowsFor(shop.server, 'SELECT stock FROM products WHERE id = ?', print.id)[0].stock).toBe(
      stockAfterFirst + 1 - 2,
    );
  });

  it('does not cancel another order when the key does not match', async () => {
    const first = await postCheckout(shop.server, {
      items: [{ productId: model.id, quantity: 1 }],
    });

    const second = await postCheckout(shop.server, {
      items: [{ productId: model.id, quantity: 1 }],
      replaces: { orderId: first.body.orderId, orderKey: 'okey_wrong' },
    });

    expect(second.status).toBe(201);
    expect(orderRow(shop.server, first.body.orderId).status).toBe('pending');
  });

  it('marks the order failed, returns its stock and answers 502 when Stripe refuses', async () => {
    const stock = () =>
      rowsFor(shop.server, 'SELECT stock FROM products WHERE id = ?', print.id)[0].stock;
    const before = stock();
    shop.fake.failNext({
      method: 'POST',
      path: '/v1/payment_intents',
      status: 400,
      type: 'invalid_request_error',
      message: 'nope',
    });

    const { status, body } = await postCheckout(shop.server, {
      items: [{ productId: print.id, quantity: 1 }],
      shippingAddress: ADDRESS,
    });

    expect(status).toBe(502);
    expect(body.error.code).toBe('payment_provider_error');
    const failed = rowsFor(
      shop.server,
      `SELECT status FROM orders ORDER BY created_at DESC, rowid DESC LIMIT 1`,
    )[0];
    expect(failed.status).toBe('failed');
    expect(stock()).toBe(before);
  });

  it('retries a Stripe outage with the same idempotency key and still creates one intent', async () => {
    shop.fake.failNext({ method: 'POST', path: '/v1/payment_intents', status: 500, times: 2 });
    const before = shop.fake.paymentIntents.size;

    const { status } = await postCheckout(shop.server, {
      items: [{ productId: model.id, quantity: 1 }],
    });

    expect(status).toBe(201);
    const attempts = shop.fake.requestsTo('POST', '/v1/payment_intents').slice(-3);
    expect(new Set(attempts.map((a) => a.idempotencyKey)).size).toBe(1);
    expect(shop.fake.paymentIntents.size).toBe(before + 1);
  });
});

describe('POST /api/checkout racing for the last unit', () => {
  let shop: Shop;
  beforeAll(async () => {
    shop = await startShop();
  });
  afterAll(() => shop.close());

  it('gives the last unit to one shopper and answers 409 out_of_stock to the other', async () => {
    const last = await createProduct(shop.server, {
      name: 'Last print',
      type: 'physical',
      price: 3000,
      physical: { sku: 'LAST-1', weightGrams: 100, stock: 1 },
    });

    const answers = await Promise.all(
      [0, 1, 2, 3].map(() =>
        postCheckout(shop.server, {
          items: [{ productId: last.id, quantity: 1 }],
          shippingAddress: ADDRESS,
        }),
      ),
    );

    expect(answers.map((a) => a.status).sort()).toEqual([201, 409, 409, 409]);
    expect(answers.find((a) => a.status === 409)!.body.error.code).toBe('out_of_stock');
    expect(rowsFor(shop.server, 'SELECT stock FROM products WHERE id = ?', last.id)[0].stock).toBe(
      0,
    );
    expect(
      rowsFor(shop.server, `SELECT COUNT(*) AS n FROM orders WHERE status = 'pending'`)[0].n,
    ).toBe(1);
  });
});

describe('POST /api/checkout/session', () => {
  let shop: Shop;
  let model: Product;
  let print: Product;
  beforeAll(async () => {
    shop = await startShop();
    ({ model, print } = await createModelAndPrint(shop.server, 5));
  });
  afterAll(() => shop.close());

  it('creates a hosted Checkout Session priced with our own line items', async () => {
    const { status, body } = await postCheckout(
      shop.server,
      {
        items: [
          { productId: model.id, quantity: 1 },
          { productId: print.id, quantity: 2 },
        ],
        shippingAddress: ADDRESS,
      },
      '/api/checkout/session',
    );

    expect(status).toBe(201);
    expect(body.url).toContain(shop.fake.url);
    expect(body.total).toEqual({ amount: 1200 + 5000 + 500, currency: 'eur' });
    const call = shop.fake.requestsTo('POST', '/v1/checkout/sessions').at(-1)!;
    expect(call.params).toMatchObject({
      mode: 'payment',
      customer_email: 'ada@example.com',
      client_reference_id: body.orderId,
      metadata: {
        order_id: body.orderId,
        fulfillment_type: 'digital_and_physical',
        product_type: 'mixed',
      },
      payment_intent_data: {
        metadata: { order_id: body.orderId },
        shipping: { name: 'Ada Lovelace' },
      },
    });
    expect(call.params.line_items).toEqual([
      {
        quantity: '1',
        price_data: {
          currency: 'eur',
          unit_amount: '1200',
          product_data: { name: 'Box model', metadata: { product_id: model.id } },
        },
      },
      {
        quantity: '2',
        price_data: {
          currency: 'eur',
          unit_amount: '2500',
          product_data: { name: 'Box print', metadata: { product_id: print.id } },
        },
      },
      {
        quantity: '1',
        price_data: {
          currency: 'eur',
          unit_amount: '500',
          product_data: { name: expect.stringContaining('Shipping') },
        },
      },
    ]);
    expect(call.params.success_url).toContain(body.orderId);
    expect(call.params.success_url).toContain(`#key=${body.orderKey}`);
    expect(Number(call.params.expires_at) - Date.now() / 1000).toBeGreaterThanOrEqual(30 * 60);
    const session = shop.fake.checkoutSessions.get(
      orderRow(shop.server, body.orderId).checkout_session_id,
    )!;
    expect(session.amount_total).toBe(body.total.amount);
  });

  it('answers 422 below the minimum, as the PaymentIntent checkout does', async () => {
    const coin = await createProduct(shop.server, { name: 'Coin', type: 'digital', price: 10 });

    const { status } = await postCheckout(
      shop.server,
      { items: [{ productId: coin.id, quantity: 1 }] },
      '/api/checkout/session',
    );

    expect(status).toBe(422);
  });
});

describe('POST /api/checkout/session with orders kept longer than a day', () => {
  let shop: Shop;
  beforeAll(async () => {
    shop = await startShop({ ORDER_TTL_MINUTES: String(3 * 24 * 60) });
  });
  afterAll(() => shop.close());

  it('keeps the session expiry within the 24 hours Stripe accepts, and the order expires with it', async () => {
    const model = await createProduct(shop.server, { name: 'Box', type: 'digital', price: 900 });

    const { status, body } = await postCheckout(
      shop.server,
      { items: [{ productId: model.id, quantity: 1 }] },
      '/api/checkout/session',
    );

    expect(status).toBe(201);
    const sent = Number(
      shop.fake.requestsTo('POST', '/v1/checkout/sessions').at(-1)!.params.expires_at,
    );
    expect(sent).toBeLessThanOrEqual(Date.now() / 1000 + 24 * 3600);
    expect(Date.parse(orderRow(shop.server, body.orderId).expires_at) / 1000).toBeCloseTo(sent, -1);
  });
});

describe('POST /api/checkout in a zero-decimal currency', () => {
  let shop: Shop;
  beforeAll(async () => {
    shop = await startShop({ STORE_CURRENCY: 'jpy' });
  });
  afterAll(() => shop.close());

  it('charges yen as whole units and applies the yen minimum', async () => {
    const cheap = await createProduct(shop.server, { name: 'Cheap', type: 'digital', price: 49 });
    const fine = await createProduct(shop.server, { name: 'Fine', type: 'digital', price: 1500 });

    const tooSmall = await postCheckout(shop.server, {
      items: [{ productId: cheap.id, quantity: 1 }],
    });
    const ok = await postCheckout(shop.server, { items: [{ productId: fine.id, quantity: 1 }] });

    expect(tooSmall.status).toBe(422);
    expect(tooSmall.body.error.message).toContain('¥50');
    expect(ok.body.total).toEqual({ amount: 1500, currency: 'jpy' });
    expect(shop.fake.requestsTo('POST', '/v1/payment_intents').at(-1)!.params).toMatchObject({
      amount: '1500',
      currency: 'jpy',
    });
  });
});
