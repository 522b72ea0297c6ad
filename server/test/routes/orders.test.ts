import fs from 'node:fs';
import type { OrderView, Product } from '@vitrine/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HAS_FIXTURES, SKIP_NOTE, fixturePath } from '../helpers/fixtures.js';
import { boxGlb } from '../helpers/glb.js';
import {
  ADDRESS,
  createModelAndPrint,
  createProduct,
  getOrder,
  intentIdOf,
  orderRow,
  postCheckout,
  startShop,
  waitFor,
  type CheckoutAnswer,
  type Shop,
} from '../payments/shop.js';

describe('GET /api/orders/:orderId', () => {
  let shop: Shop;
  let model: Product;
  let print: Product;
  beforeAll(async () => {
    shop = await startShop();
    ({ model, print } = await createModelAndPrint(shop.server, 10));
  });
  afterAll(() => shop.close());

  it('shows a pending order to the holder of its key', async () => {
    const order = (
      await postCheckout(shop.server, {
        items: [{ productId: print.id, quantity: 2 }],
        shippingAddress: ADDRESS,
      })
    ).body as CheckoutAnswer;

    const { status, body } = await getOrder(shop.server, order.orderId, order.orderKey);

    expect(status).toBe(200);
    expect(body).toMatchObject({
      orderId: order.orderId,
      status: 'pending',
      email: 'ada@example.com',
      total: { amount: 5500, currency: 'eur' },
      downloads: [],
      shipments: [],
    });
    expect(body.items).toEqual([
      {
        productId: print.id,
        name: 'Box print',
        kind: 'product',
        productType: 'physical',
        quantity: 2,
        unitPrice: { amount: 2500, currency: 'eur' },
        total: { amount: 5000, currency: 'eur' },
      },
      {
        productId: null,
        name: expect.stringContaining('Shipping'),
        kind: 'shipping',
        productType: null,
        quantity: 1,
        unitPrice: { amount: 500, currency: 'eur' },
        total: { amount: 500, currency: 'eur' },
      },
    ]);
  });

  it('answers the same 404 for an unknown id and for a wrong key', async () => {
    const order = (
      await postCheckout(shop.server, { items: [{ productId: model.id, quantity: 1 }] })
    ).body as CheckoutAnswer;

    const wrongKey = await getOrder(shop.server, order.orderId, 'okey_not_the_key');
    const unknown = await getOrder(shop.server, 'ord_does_not_exist', order.orderKey);
    const noKey = await shop.server.request(`/api/orders/${order.orderId}`);

    expect(wrongKey.status).toBe(404);
    expect(unknown.status).toBe(404);
    expect(noKey.status).toBe(404);
    expect(wrongKey.body).toEqual(unknown.body);
  });

  it('fulfils from the order page when the webhook is late, asking Stripe for the intent', async () => {
    const order = (
      await postCheckout(shop.server, { items: [{ productId: model.id, quantity: 1 }] })
    ).body as CheckoutAnswer;
    await shop.fake.confirm(intentIdOf(order.clientSecret), 'succeeded', { webhook: false });
    const deliveries = shop.fake.deliveries.length;

    const view = await waitFor(async () => {
      const { body } = await getOrder(shop.server, order.orderId, order.orderKey);
      return body.status === 'fulfilled' ? (body as OrderView) : undefined;
    });

    expect(shop.fake.deliveries.length).toBe(deliveries);
    expect(
      shop.fake.requestsTo('GET', `/v1/payment_intents/${intentIdOf(order.clientSecret)}`).length,
    ).toBeGreaterThan(0);
    expect(view.downloads).toHaveLength(1);
    expect(view.downloads[0]).toMatchObject({
      productId: model.id,
      name: 'Box model',
      remaining: 5,
    });

    // The webhook arriving afterwards changes nothing.
    const late = await shop.fake.sendEvent(
      'payment_intent.succeeded',
      shop.fake.paymentIntents.get(intentIdOf(order.clientSecret))!,
    );
    expect(late.status).toBe(200);
    expect(
      (await getOrder(shop.server, order.orderId, order.orderKey)).body.downloads,
    ).toHaveLength(1);
  });

  it('fulfils a paid hosted Checkout from the order page before its webhook', async () => {
    const { body } = await postCheckout(
      shop.server,
      { items: [{ productId: model.id, quantity: 1 }] },
      '/api/checkout/session',
    );
    await shop.fake.completeCheckoutSession(
      orderRow(shop.server, body.orderId).checkout_session_id,
      { webhook: false },
    );

    const view = await waitFor(async () => {
      const answer = await getOrder(shop.server, body.orderId, body.orderKey);
      return answer.body.status === 'fulfilled' ? (answer.body as OrderView) : undefined;
    });

    expect(view.downloads).toHaveLength(1);
  });

  it('does not fulfil from the order page while the payment is not done', async () => {
    const order = (
      await postCheckout(shop.server, { items: [{ productId: model.id, quantity: 1 }] })
    ).body as CheckoutAnswer;
    await shop.fake.confirm(intentIdOf(order.clientSecret), 'processing', { webhook: false });

    const { body } = await getOrder(shop.server, order.orderId, order.orderKey);

    expect(body.status).toBe('pending');
    expect(body.downloads).toEqual([]);
  });

  it('answers from the database when Stripe cannot be reached', async () => {
    const order = (
      await postCheckout(shop.server, { items: [{ productId: model.id, quantity: 1 }] })
    ).body as CheckoutAnswer;
    shop.fake.failNext({
      method: 'GET',
      path: `/v1/payment_intents/${intentIdOf(order.clientSecret)}`,
      destroy: true,
      times: 5,
    });

    const { status, body } = await getOrder(shop.server, order.orderId, order.orderKey);

    expect(status).toBe(200);
    expect(body.status).toBe('pending');
  });

  it('opens with the key from the receipt email too', async () => {
    const order = (
      await postCheckout(shop.server, { items: [{ productId: model.id, quantity: 1 }] })
    ).body as CheckoutAnswer;
    await shop.fake.confirm(intentIdOf(order.clientSecret), 'succeeded');
    const receipt = shop.server.app.locals.context.db
      .prepare(`SELECT text_body FROM outbox WHERE dedupe_key = 'receipt:' || ?`)
      .pluck()
      .get(order.orderId) as string;
    const emailKey = decodeURIComponent(/#key=([^\s"&<]+)/.exec(receipt)![1]!);

    const { status, body } = await getOrder(shop.server, order.orderId, emailKey);

    expect(emailKey).not.toBe(order.orderKey);
    expect(status).toBe(200);
    expect(body.status).toBe('fulfilled');
  });

  it('lists the shipment of a paid physical order', async () => {
    const order = (
      await postCheckout(shop.server, {
        items: [{ productId: print.id, quantity: 1 }],
        shippingAddress: ADDRESS,
      })
    ).body as CheckoutAnswer;
    await shop.fake.confirm(intentIdOf(order.clientSecret), 'succeeded');

    const { body } = await getOrder(shop.server, order.orderId, order.orderKey);

    expect(body.status).toBe('fulfilled');
    expect(body.shipments).toEqual([
      expect.objectContaining({ status: 'pending', carrier: null, trackingNumber: null }),
    ]);
  });
});

/**
 * The whole purchase, through real HTTP on every hop: the owner creates the product and
 * uploads the GLB, the shopper checks out, the payment succeeds at the (fake) Stripe API,
 * the signed webhook fulfils, and the order page's link downloads the exact original bytes.
 */
async function purchaseEndToEnd(shop: Shop, glb: Uint8Array): Promise<void> {
  const product = await createProduct(shop.server, {
    name: 'Khronos Box',
    type: 'digital',
    price: 1900,
    model: glb,
  });

  const checkout = await postCheckout(shop.server, {
    items: [{ productId: product.id, quantity: 1 }],
    email: 'shopper@example.com',
  });
  expect(checkout.status).toBe(201);
  const order = checkout.body as CheckoutAnswer;
  const created = shop.fake.requestsTo('POST', '/v1/payment_intents').at(-1)!;
  expect(created.params).toMatchObject({
    amount: '1900',
    currency: 'eur',
    metadata: {
      order_id: order.orderId,
      fulfillment_type: 'digital_download',
      product_type: 'digital',
    },
  });
  expect(created.idempotencyKey).toMatch(new RegExp(`^vitrine:pi:${order.orderId}:[0-9a-f]{32}$`));

  // The browser confirms with the publishable key and the client secret, as Stripe.js does.
  const intentId = intentIdOf(order.clientSecret);
  const confirm = await fetch(`${shop.fake.url}/v1/payment_intents/${intentId}/confirm`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      key: order.publishableKey!,
      client_secret: order.clientSecret,
      payment_method: 'pm_card_visa',
    }),
  });
  expect(confirm.status).toBe(200);
  await waitFor(() =>
    shop.fake.deliveries.find(
      (d) => (d.event.data.object as { id: string }).id === intentId && d.status === 200,
    ),
  );

  const view = (await getOrder(shop.server, order.orderId, order.orderKey)).body as OrderView;
  expect(view.status).toBe('fulfilled');
  expect(view.downloads).toHaveLength(1);

  const download = await fetch(view.downloads[0]!.url);
  expect(download.status).toBe(200);
  expect(Buffer.from(await download.arrayBuffer()).equals(Buffer.from(glb))).toBe(true);
}

describe('a purchase end to end with a generated GLB', () => {
  let shop: Shop;
  beforeAll(async () => {
    shop = await startShop();
  });
  afterAll(() => shop.close());

  it('ends with a download of the byte-identical original', async () => {
    await purchaseEndToEnd(shop, boxGlb());
  });
});

describe.skipIf(!HAS_FIXTURES)(`a purchase end to end with Khronos Box.glb${SKIP_NOTE}`, () => {
  let shop: Shop;
  beforeAll(async () => {
    shop = await startShop();
  });
  afterAll(() => shop.close());

  it('ends with a download of the byte-identical original', async () => {
    await purchaseEndToEnd(shop, fs.readFileSync(fixturePath('models', 'Box.glb')));
  });
});
