import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import express from 'express';
import pino from 'pino';
import type { Product } from '@vitrine/shared';
import type Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { createContext } from '../../src/context.js';
import { errorHandler } from '../../src/http/errors.js';
import { webhooksRouter } from '../../src/routes/webhooks.js';
import { ADMIN_TOKEN, startTestServer } from '../helpers/app.js';
import { startStripeFake, type StripeFake } from '../helpers/stripe-fake.js';
import {
  ADDRESS,
  createModelAndPrint,
  createProduct,
  intentIdOf,
  orderRow,
  postCheckout,
  rowsFor,
  startShop,
  type CheckoutAnswer,
  type Shop,
} from '../payments/shop.js';

/** How many of each thing the order got: the proof that it was fulfilled exactly once. */
function deliveredCounts(shop: Shop, orderId: string) {
  const count = (sql: string) => rowsFor(shop.server, sql, orderId)[0].n as number;
  return {
    fulfillments: count('SELECT COUNT(*) AS n FROM fulfillments WHERE order_id = ?'),
    grants: count('SELECT COUNT(*) AS n FROM download_grants WHERE order_id = ?'),
    liveGrants: count(
      'SELECT COUNT(*) AS n FROM download_grants WHERE order_id = ? AND revoked_at IS NULL',
    ),
    receipts: count(`SELECT COUNT(*) AS n FROM outbox WHERE dedupe_key = 'receipt:' || ?`),
    refundNotices: count(`SELECT COUNT(*) AS n FROM outbox WHERE dedupe_key = 'refund:' || ?`),
    shipments: count('SELECT COUNT(*) AS n FROM shipments WHERE order_id = ?'),
  };
}

function eventFor(fake: StripeFake, type: string, objectId: string): Stripe.Event {
  const event = [...fake.events]
    .reverse()
    .find((e) => e.type === type && (e.data.object as { id: string }).id === objectId);
  if (!event) throw new Error(`no ${type} event for ${objectId}`);
  return event;
}

describe('POST /api/webhooks/stripe signature checks', () => {
  let shop: Shop;
  beforeAll(async () => {
    shop = await startShop();
  });
  afterAll(() => shop.close());

  it('accepts a correctly signed event and records its id', async () => {
    const delivery = await shop.fake.sendEvent('customer.created', {
      id: 'cus_1',
      object: 'customer',
    });

    expect(delivery.status).toBe(200);
    expect(JSON.parse(delivery.body)).toEqual({ received: true });
    expect(
      rowsFor(
        shop.server,
        'SELECT type, outcome FROM stripe_events WHERE id = ?',
        delivery.event.id,
      ),
    ).toEqual([{ type: 'customer.created', outcome: 'ignored_type' }]);
  });

  it('answers 400 invalid_signature without details to a secret from another endpoint', async () => {
    const delivery = await shop.fake.sendEvent(
      'payment_intent.succeeded',
      { id: 'pi_x' },
      { secret: 'whsec_another_endpoint' },
    );

    expect(delivery.status).toBe(400);
    expect(JSON.parse(delivery.body)).toEqual({
      error: { code: 'invalid_signature', message: 'The webhook signature could not be verified.' },
    });
    expect(
      rowsFor(shop.server, 'SELECT id FROM stripe_events WHERE id = ?', delivery.event.id),
    ).toEqual([]);
  });

  it('refuses a missing signature header, a stale timestamp and a changed body', async () => {
    const missing = await shop.fake.sendEvent(
      'payment_intent.succeeded',
      { id: 'pi_x' },
      { signature: null },
    );
    const stale = await shop.fake.sendEvent(
      'payment_intent.succeeded',
      { id: 'pi_x' },
      { timestamp: Math.floor(Date.now() / 1000) - 600 },
    );
    const event = shop.fake.buildEvent('payment_intent.succeeded', { id: 'pi_x', amount: 100 });
    const { header } = shop.fake.sign(event);
    const tampered = await fetch(shop.fake.webhookUrl!, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'stripe-signature': header },
      body: JSON.stringify({ ...event, data: { object: { id: 'pi_x', amount: 1 } } }, null, 2),
    });

    expect([missing.status, stale.status, tampered.status]).toEqual([400, 400, 400]);
  });
});

describe('POST /api/webhooks/stripe without a webhook secret', () => {
  it('answers 503 payments_not_configured naming STRIPE_WEBHOOK_SECRET', async () => {
    const fake = await startStripeFake();
    const server = await startTestServer({
      STRIPE_SECRET_KEY: 'sk_test_a',
      STRIPE_PUBLISHABLE_KEY: 'pk_test_a',
      STRIPE_API_BASE: fake.url,
    });
    try {
      const delivery = await fake.sendEvent(
        'payment_intent.succeeded',
        { id: 'pi_x' },
        { url: `${server.url}/api/webhooks/stripe` },
      );

      expect(delivery.status).toBe(503);
      expect(JSON.parse(delivery.body).error.message).toContain('STRIPE_WEBHOOK_SECRET');
    } finally {
      await server.close();
      await fake.close();
    }
  });
});

describe('webhook handler behind a JSON parser (the classic mistake)', () => {
  it('refuses the already parsed body and logs the likely mistake', async () => {
    const fake = await startStripeFake();
    const lines: string[] = [];
    const logger = pino(
      { level: 'debug' },
      new Writable({
        write(chunk, _encoding, done) {
          lines.push(String(chunk));
          done();
        },
      }),
    );
    const config = loadConfig({
      NODE_ENV: 'test',
      DATA_DIR: (await import('node:fs')).mkdtempSync(
        `${(await import('node:os')).tmpdir()}/vitrine-wrong-`,
      ),
      ADMIN_TOKEN,
      STRIPE_SECRET_KEY: 'sk_test_a',
      STRIPE_PUBLISHABLE_KEY: 'pk_test_a',
      STRIPE_WEBHOOK_SECRET: fake.webhookSecret,
      STRIPE_API_BASE: fake.url,
    });
    const context = createContext(config, logger);
    const wrong = express();
    wrong.use(express.json()); // the mistake: JSON parsing before the webhook route
    wrong.use('/api/webhooks', webhooksRouter(context));
    wrong.use(errorHandler(logger));
    const server = await new Promise<http.Server>((resolve) => {
      const s = wrong.listen(0, '127.0.0.1', () => resolve(s));
    });
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/webhooks/stripe`;

      const delivery = await fake.sendEvent(
        'payment_intent.succeeded',
        { id: 'pi_x', object: 'payment_intent' },
        { url },
      );

      expect(delivery.status).toBe(400);
      expect(JSON.parse(delivery.body).error.code).toBe('invalid_signature');
      expect(lines.join('')).toContain('express.raw() before express.json()');
      expect(context.db.prepare('SELECT COUNT(*) AS n FROM stripe_events').get()).toEqual({ n: 0 });
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      context.db.close();
      await fake.close();
    }
  });
});

describe('POST /api/webhooks/stripe payment events', () => {
  let shop: Shop;
  let model: Product;
  let print: Product;
  const buyModel = async (): Promise<CheckoutAnswer> =>
    (await postCheckout(shop.server, { items: [{ productId: model.id, quantity: 1 }] })).body;
  const buyPrint = async (): Promise<CheckoutAnswer> =>
    (
      await postCheckout(shop.server, {
        items: [{ productId: print.id, quantity: 1 }],
        shippingAddress: ADDRESS,
      })
    ).body;
  const stockOf = (id: string) =>
    rowsFor(shop.server, 'SELECT stock FROM products WHERE id = ?', id)[0].stock as number;

  beforeAll(async () => {
    shop = await startShop();
    ({ model, print } = await createModelAndPrint(shop.server, 100));
  });
  afterAll(() => shop.close());

  it('fulfils a digital order on payment_intent.succeeded: one grant, one receipt', async () => {
    const order = await buyModel();

    await shop.fake.confirm(intentIdOf(order.clientSecret), 'succeeded');

    expect(shop.fake.deliveries.at(-1)!.status).toBe(200);
    expect(orderRow(shop.server, order.orderId)).toMatchObject({
      status: 'fulfilled',
      attention: null,
    });
    expect(deliveredCounts(shop, order.orderId)).toMatchObject({
      fulfillments: 1,
      grants: 1,
      receipts: 1,
      shipments: 0,
    });
  });

  it('fulfils a physical order: stock committed and a pending shipment', async () => {
    const before = stockOf(print.id);
    const order = await buyPrint();

    await shop.fake.confirm(intentIdOf(order.clientSecret), 'succeeded');

    expect(orderRow(shop.server, order.orderId).status).toBe('fulfilled');
    expect(deliveredCounts(shop, order.orderId)).toMatchObject({
      fulfillments: 1,
      grants: 0,
      receipts: 1,
      shipments: 1,
    });
    expect(stockOf(print.id)).toBe(before - 1);
    expect(
      rowsFor(
        shop.server,
        'SELECT state FROM stock_reservations WHERE order_id = ?',
        order.orderId,
      ),
    ).toEqual([{ state: 'committed' }]);
  });

  it('fulfils once when the same event arrives 10 times in a row', async () => {
    const order = await buyModel();
    const intentId = intentIdOf(order.clientSecret);
    await shop.fake.confirm(intentId, 'succeeded', { webhook: false });
    const event = eventFor(shop.fake, 'payment_intent.succeeded', intentId);

    const answers = [];
    for (let i = 0; i < 10; i++) answers.push(await shop.fake.deliver(event));

    expect(answers.map((a) => a.status)).toEqual(Array(10).fill(200));
    expect(JSON.parse(answers[0]!.body)).toEqual({ received: true });
    expect(answers.slice(1).every((a) => JSON.parse(a.body).duplicate === true)).toBe(true);
    expect(deliveredCounts(shop, order.orderId)).toMatchObject({
      fulfillments: 1,
      grants: 1,
      receipts: 1,
    });
  });

  it('fulfils once when the same event arrives 10 times at once', async () => {
    const order = await buyPrint();
    const intentId = intentIdOf(order.clientSecret);
    const before = stockOf(print.id);
    await shop.fake.confirm(intentId, 'succeeded', { webhook: false });
    const event = eventFor(shop.fake, 'payment_intent.succeeded', intentId);

    const answers = await Promise.all(Array.from({ length: 10 }, () => shop.fake.deliver(event)));

    expect(answers.map((a) => a.status)).toEqual(Array(10).fill(200));
    expect(answers.filter((a) => JSON.parse(a.body).duplicate === true)).toHaveLength(9);
    expect(deliveredCounts(shop, order.orderId)).toMatchObject({
      fulfillments: 1,
      receipts: 1,
      shipments: 1,
    });
    expect(stockOf(print.id)).toBe(before);
  });

  it('fulfils once when ten distinct success events for one order arrive at once', async () => {
    const order = await buyModel();
    const intentId = intentIdOf(order.clientSecret);
    await shop.fake.confirm(intentId, 'succeeded', { webhook: false });
    const intent = shop.fake.paymentIntents.get(intentId)!;

    const answers = await Promise.all(
      Array.from({ length: 10 }, () => shop.fake.sendEvent('payment_intent.succeeded', intent)),
    );

    expect(answers.every((a) => a.status === 200 && !JSON.parse(a.body).duplicate)).toBe(true);
    expect(deliveredCounts(shop, order.orderId)).toMatchObject({
      fulfillments: 1,
      grants: 1,
      receipts: 1,
    });
  });

  it('keeps a declined order pending with its stock, since the shopper may retry the same intent', async () => {
    const before = stockOf(print.id);
    const order = await buyPrint();

    await shop.fake.confirm(intentIdOf(order.clientSecret), 'failed');

    expect(shop.fake.deliveries.at(-1)!.status).toBe(200);
    expect(orderRow(shop.server, order.orderId).status).toBe('pending');
    expect(stockOf(print.id)).toBe(before - 1);
    expect(
      rowsFor(
        shop.server,
        'SELECT status FROM payments WHERE order_id = ? AND kind = ?',
        order.orderId,
        'payment_intent',
      ),
    ).toEqual([{ status: 'requires_payment_method' }]);
  });

  it('sells the last unit once when a declined shopper retries the card after someone else tried to buy it', async () => {
    const last = await createProduct(shop.server, {
      name: 'Last print',
      type: 'physical',
      price: 3000,
      physical: { sku: 'LAST-1', weightGrams: 100, stock: 1 },
    });
    const cart = { items: [{ productId: last.id, quantity: 1 }], shippingAddress: ADDRESS };
    const first = (await postCheckout(shop.server, cart)).body as CheckoutAnswer;
    const intentId = intentIdOf(first.clientSecret);
    await shop.fake.confirm(intentId, 'failed');

    const second = await postCheckout(shop.server, { ...cart, email: 'grace@example.com' });
    await shop.fake.confirm(intentId, 'succeeded');

    expect(second.status).toBe(409);
    expect(second.body.error.code).toBe('out_of_stock');
    expect(orderRow(shop.server, first.orderId)).toMatchObject({
      status: 'fulfilled',
      attention: null,
    });
    expect(stockOf(last.id)).toBe(0);
  });

  it('shortens the hold of a processing payment back to the order lifetime when it fails', async () => {
    const order = await buyPrint();
    const intentId = intentIdOf(order.clientSecret);
    const intent = shop.fake.paymentIntents.get(intentId)!;
    const lifetimeEnd = Date.now() + shop.server.config.orderTtlMinutes * 60_000;
    await shop.fake.sendEvent('payment_intent.processing', { ...intent, status: 'processing' });
    expect(Date.parse(orderRow(shop.server, order.orderId).expires_at)).toBeGreaterThan(
      lifetimeEnd + 24 * 3600_000,
    );

    await shop.fake.sendEvent('payment_intent.payment_failed', {
      ...intent,
      status: 'requires_payment_method',
      last_payment_error: { type: 'card_error', code: 'card_declined', message: 'Declined.' },
    });

    const row = orderRow(shop.server, order.orderId);
    expect(row.status).toBe('pending');
    expect(Date.parse(row.expires_at)).toBeLessThanOrEqual(
      Date.now() + shop.server.config.orderTtlMinutes * 60_000,
    );
  });

  it('fulfils once when a declined attempt is followed by a success on the same intent', async () => {
    const before = stockOf(print.id);
    const order = await buyPrint();
    const intentId = intentIdOf(order.clientSecret);

    await shop.fake.confirm(intentId, 'failed');
    await shop.fake.confirm(intentId, 'succeeded');

    expect(orderRow(shop.server, order.orderId).status).toBe('fulfilled');
    expect(deliveredCounts(shop, order.orderId)).toMatchObject({
      fulfillments: 1,
      shipments: 1,
      receipts: 1,
    });
    expect(stockOf(print.id)).toBe(before - 1);
  });

  it('does not downgrade a fulfilled order when payment_failed arrives late', async () => {
    const order = await buyModel();
    const intentId = intentIdOf(order.clientSecret);
    await shop.fake.confirm(intentId, 'failed', { webhook: false });
    const failed = eventFor(shop.fake, 'payment_intent.payment_failed', intentId);
    await shop.fake.confirm(intentId, 'succeeded');

    const late = await shop.fake.deliver(failed);

    expect(late.status).toBe(200);
    expect(orderRow(shop.server, order.orderId).status).toBe('fulfilled');
    expect(deliveredCounts(shop, order.orderId).liveGrants).toBe(1);
  });

  it('fulfils a late success after the order was canceled, taking the stock again', async () => {
    const before = stockOf(print.id);
    const order = await buyPrint();
    const intentId = intentIdOf(order.clientSecret);
    const intent = shop.fake.paymentIntents.get(intentId)!;
    await shop.fake.sendEvent('payment_intent.canceled', { ...intent, status: 'canceled' });
    expect(orderRow(shop.server, order.orderId).status).toBe('canceled');
    expect(stockOf(print.id)).toBe(before);

    await shop.fake.confirm(intentId, 'succeeded');

    expect(orderRow(shop.server, order.orderId)).toMatchObject({
      status: 'fulfilled',
      attention: null,
    });
    expect(stockOf(print.id)).toBe(before - 1);
  });

  it('ignores a cancel that arrives after the success', async () => {
    const order = await buyModel();
    const intentId = intentIdOf(order.clientSecret);
    await shop.fake.confirm(intentId, 'succeeded');

    await shop.fake.sendEvent('payment_intent.canceled', {
      ...shop.fake.paymentIntents.get(intentId)!,
      status: 'canceled',
    });

    expect(orderRow(shop.server, order.orderId).status).toBe('fulfilled');
  });

  it('flags a late success for sold-out goods instead of driving stock below zero', async () => {
    const single = await createProduct(shop.server, {
      name: 'Single print',
      type: 'physical',
      price: 2000,
      physical: { sku: 'ONE-1', weightGrams: 100, stock: 1 },
    });
    const first = (
      await postCheckout(shop.server, {
        items: [{ productId: single.id, quantity: 1 }],
        shippingAddress: ADDRESS,
      })
    ).body;
    const firstIntent = shop.fake.paymentIntents.get(intentIdOf(first.clientSecret))!;
    await shop.fake.sendEvent('payment_intent.canceled', { ...firstIntent, status: 'canceled' });
    const second = (
      await postCheckout(shop.server, {
        items: [{ productId: single.id, quantity: 1 }],
        shippingAddress: ADDRESS,
      })
    ).body;
    await shop.fake.confirm(intentIdOf(second.clientSecret), 'succeeded');

    await shop.fake.confirm(firstIntent.id, 'succeeded');

    expect(orderRow(shop.server, first.orderId)).toMatchObject({
      status: 'fulfilled',
      attention: expect.stringContaining('stock_shortfall'),
    });
    expect(stockOf(single.id)).toBe(0);
  });

  it('does not fulfil when the amount differs from the order, and flags it needs_review', async () => {
    const order = await buyModel();
    const intentId = intentIdOf(order.clientSecret);
    await shop.fake.confirm(intentId, 'succeeded', { webhook: false });
    const intent = shop.fake.paymentIntents.get(intentId)!;

    const delivery = await shop.fake.sendEvent('payment_intent.succeeded', {
      ...intent,
      amount: 100,
      amount_received: 100,
    });

    expect(delivery.status).toBe(200);
    expect(orderRow(shop.server, order.orderId)).toMatchObject({
      status: 'needs_review',
      attention: expect.stringContaining('amount_mismatch'),
    });
    expect(deliveredCounts(shop, order.orderId)).toMatchObject({
      fulfillments: 0,
      grants: 0,
      receipts: 0,
    });

    // The right event arriving afterwards does not deliver either: the owner decides.
    await shop.fake.deliver(eventFor(shop.fake, 'payment_intent.succeeded', intentId));
    expect(deliveredCounts(shop, order.orderId).fulfillments).toBe(0);
  });

  it('does not fulfil when the currency differs from the order', async () => {
    const order = await buyModel();
    const intentId = intentIdOf(order.clientSecret);
    await shop.fake.confirm(intentId, 'succeeded', { webhook: false });

    await shop.fake.sendEvent('payment_intent.succeeded', {
      ...shop.fake.paymentIntents.get(intentId)!,
      currency: 'usd',
    });

    expect(orderRow(shop.server, order.orderId).status).toBe('needs_review');
  });

  it('ignores an intent that is not the one stored on the order', async () => {
    const order = await buyModel();
    const intentId = intentIdOf(order.clientSecret);
    await shop.fake.confirm(intentId, 'succeeded', { webhook: false });
    const intent = shop.fake.paymentIntents.get(intentId)!;

    const delivery = await shop.fake.sendEvent('payment_intent.succeeded', {
      ...intent,
      id: 'pi_someone_else',
    });

    expect(delivery.status).toBe(200);
    expect(
      rowsFor(shop.server, 'SELECT outcome FROM stripe_events WHERE id = ?', delivery.event.id),
    ).toEqual([{ outcome: 'ignored_intent_mismatch' }]);
    expect(orderRow(shop.server, order.orderId).status).toBe('pending');
  });

  it('acknowledges events for orders this store does not know', async () => {
    const delivery = await shop.fake.sendEvent('payment_intent.succeeded', {
      id: 'pi_foreign',
      object: 'payment_intent',
      status: 'succeeded',
      amount: 500,
      amount_received: 500,
      currency: 'eur',
      metadata: {},
    });

    expect(delivery.status).toBe(200);
  });

  it('answers 500 and keeps the event unprocessed when fulfilment fails, then succeeds on the retry', async () => {
    const order = await buyModel();
    const intentId = intentIdOf(order.clientSecret);
    await shop.fake.confirm(intentId, 'succeeded', { webhook: false });
    const event = eventFor(shop.fake, 'payment_intent.succeeded', intentId);
    const db = shop.server.app.locals.context.db;
    db.exec(
      `CREATE TRIGGER outbox_down BEFORE INSERT ON outbox BEGIN SELECT RAISE(ABORT, 'outbox unavailable'); END`,
    );

    let failed;
    try {
      failed = await shop.fake.deliver(event);
    } finally {
      db.exec('DROP TRIGGER outbox_down');
    }

    expect(failed.status).toBe(500);
    expect(
      rowsFor(shop.server, 'SELECT processed_at FROM stripe_events WHERE id = ?', event.id),
    ).toEqual([{ processed_at: null }]);
    expect(orderRow(shop.server, order.orderId).status).toBe('pending');
    expect(deliveredCounts(shop, order.orderId)).toMatchObject({ fulfillments: 0, grants: 0 });

    const retry = await shop.fake.deliver(event);

    expect(retry.status).toBe(200);
    expect(JSON.parse(retry.body)).toEqual({ received: true });
    expect(deliveredCounts(shop, order.orderId)).toMatchObject({
      fulfillments: 1,
      grants: 1,
      receipts: 1,
    });
  });
});

describe('POST /api/webhooks/stripe refunds and disputes', () => {
  let shop: Shop;
  let model: Product;
  let print: Product;
  const paidModelOrder = async () => {
    const order = (
      await postCheckout(shop.server, { items: [{ productId: model.id, quantity: 1 }] })
    ).body as CheckoutAnswer;
    const intent = await shop.fake.confirm(intentIdOf(order.clientSecret), 'succeeded');
    return { order, intent };
  };
  beforeAll(async () => {
    shop = await startShop();
    ({ model, print } = await createModelAndPrint(shop.server, 10));
  });
  afterAll(() => shop.close());

  it('revokes grants, marks the order refunded and queues the notice on a full refund', async () => {
    const { order, intent } = await paidModelOrder();
    const stripe = new (await import('stripe')).default('sk_test_vitrine_payments', {
      host: '127.0.0.1',
      port: new URL(shop.fake.url).port,
      protocol: 'http',
    });

    await stripe.refunds.create({ payment_intent: intent.id });
    await expect.poll(() => orderRow(shop.server, order.orderId).status).toBe('refunded');

    expect(deliveredCounts(shop, order.orderId)).toMatchObject({
      grants: 1,
      liveGrants: 0,
      refundNotices: 1,
    });
    const grant = rowsFor(
      shop.server,
      'SELECT revoked_reason FROM download_grants WHERE order_id = ?',
      order.orderId,
    )[0];
    expect(grant.revoked_reason).toBe('refunded');
  });

  it('keeps downloads after a partial refund but records it and tells the customer', async () => {
    const { order, intent } = await paidModelOrder();
    const charge = shop.fake.charges.get(String(intent.latest_charge))!;

    await shop.fake.sendEvent('charge.refunded', {
      ...charge,
      amount_refunded: 200,
      refunded: false,
    });

    expect(orderRow(shop.server, order.orderId).status).toBe('fulfilled');
    expect(deliveredCounts(shop, order.orderId)).toMatchObject({ liveGrants: 1, refundNotices: 1 });
    expect(
      rowsFor(
        shop.server,
        `SELECT amount FROM payments WHERE order_id = ? AND kind = 'refund'`,
        order.orderId,
      ),
    ).toEqual([{ amount: 200 }]);
  });

  it('revokes grants and marks the order disputed on charge.dispute.created', async () => {
    const { order, intent } = await paidModelOrder();

    await shop.fake.dispute(intent.id);

    expect(orderRow(shop.server, order.orderId).status).toBe('disputed');
    expect(deliveredCounts(shop, order.orderId).liveGrants).toBe(0);
    expect(
      rowsFor(
        shop.server,
        `SELECT status, amount FROM payments WHERE order_id = ? AND kind = 'dispute'`,
        order.orderId,
      ),
    ).toEqual([{ status: 'needs_response', amount: 1200 }]);
    expect(
      rowsFor(
        shop.server,
        'SELECT revoked_reason FROM download_grants WHERE order_id = ?',
        order.orderId,
      ),
    ).toEqual([{ revoked_reason: 'disputed' }]);
  });

  it('ends refunded, with nothing delivered, when the refund overtakes the success', async () => {
    const order = (
      await postCheckout(shop.server, {
        items: [{ productId: print.id, quantity: 1 }],
        shippingAddress: ADDRESS,
      })
    ).body as CheckoutAnswer;
    const intentId = intentIdOf(order.clientSecret);
    const stockBefore = rowsFor(shop.server, 'SELECT stock FROM products WHERE id = ?', print.id)[0]
      .stock;
    await shop.fake.confirm(intentId, 'succeeded', { webhook: false });
    const success = eventFor(shop.fake, 'payment_intent.succeeded', intentId);
    const charge = shop.fake.charges.get(
      String(shop.fake.paymentIntents.get(intentId)!.latest_charge),
    )!;

    await shop.fake.sendEvent('charge.refunded', {
      ...charge,
      amount_refunded: charge.amount,
      refunded: true,
    });
    await shop.fake.deliver(success);

    expect(orderRow(shop.server, order.orderId).status).toBe('refunded');
    expect(deliveredCounts(shop, order.orderId)).toMatchObject({
      fulfillments: 0,
      receipts: 0,
      shipments: 0,
    });
    expect(rowsFor(shop.server, 'SELECT stock FROM products WHERE id = ?', print.id)[0].stock).toBe(
      stockBefore + 1,
    );
  });

  it('ends disputed when the dispute overtakes the success', async () => {
    const order = (
      await postCheckout(shop.server, { items: [{ productId: model.id, quantity: 1 }] })
    ).body as CheckoutAnswer;
    const intentId = intentIdOf(order.clientSecret);
    await shop.fake.confirm(intentId, 'succeeded', { webhook: false });
    const success = eventFor(shop.fake, 'payment_intent.succeeded', intentId);

    await shop.fake.dispute(intentId);
    await shop.fake.deliver(success);

    expect(orderRow(shop.server, order.orderId).status).toBe('disputed');
    expect(deliveredCounts(shop, order.orderId)).toMatchObject({ fulfillments: 0, grants: 0 });
  });
});

describe('POST /api/webhooks/stripe Checkout Session events', () => {
  let shop: Shop;
  let model: Product;
  let print: Product;
  const startSession = async (
    items: { productId: string; quantity: number }[],
    address = false,
  ) => {
    const { body } = await postCheckout(
      shop.server,
      { items, ...(address ? { shippingAddress: ADDRESS } : {}) },
      '/api/checkout/session',
    );
    return {
      ...body,
      sessionId: orderRow(shop.server, body.orderId).checkout_session_id as string,
    };
  };
  beforeAll(async () => {
    shop = await startShop();
    ({ model, print } = await createModelAndPrint(shop.server, 10));
  });
  afterAll(() => shop.close());

  it('fulfils on checkout.session.completed when paid', async () => {
    const session = await startSession([{ productId: model.id, quantity: 1 }]);

    await shop.fake.completeCheckoutSession(session.sessionId, { paymentStatus: 'paid' });

    const order = orderRow(shop.server, session.orderId);
    expect(order.status).toBe('fulfilled');
    expect(order.payment_intent_id).toMatch(/^pi_/);
    expect(deliveredCounts(shop, session.orderId)).toMatchObject({
      fulfillments: 1,
      grants: 1,
      receipts: 1,
    });
  });

  it('waits while payment_status is unpaid, then fulfils on async_payment_succeeded', async () => {
    const session = await startSession([{ productId: model.id, quantity: 1 }]);

    await shop.fake.completeCheckoutSession(session.sessionId, { paymentStatus: 'unpaid' });

    const waiting = orderRow(shop.server, session.orderId);
    expect(waiting.status).toBe('pending');
    expect(new Date(waiting.expires_at).getTime() - Date.now()).toBeGreaterThan(
      7 * 24 * 3600 * 1000,
    );
    expect(deliveredCounts(shop, session.orderId).fulfillments).toBe(0);

    await shop.fake.settleCheckoutSession(session.sessionId, 'succeeded');

    expect(orderRow(shop.server, session.orderId).status).toBe('fulfilled');
    expect(deliveredCounts(shop, session.orderId)).toMatchObject({
      fulfillments: 1,
      grants: 1,
      receipts: 1,
    });
  });

  it('fails the order and returns its stock on async_payment_failed', async () => {
    const stock = () =>
      rowsFor(shop.server, 'SELECT stock FROM products WHERE id = ?', print.id)[0].stock;
    const before = stock();
    const session = await startSession([{ productId: print.id, quantity: 2 }], true);
    expect(stock()).toBe(before - 2);
    await shop.fake.completeCheckoutSession(session.sessionId, { paymentStatus: 'unpaid' });

    await shop.fake.settleCheckoutSession(session.sessionId, 'failed');

    expect(orderRow(shop.server, session.orderId).status).toBe('failed');
    expect(stock()).toBe(before);
  });

  it('cancels the order and returns its stock on checkout.session.expired', async () => {
    const stock = () =>
      rowsFor(shop.server, 'SELECT stock FROM products WHERE id = ?', print.id)[0].stock;
    const before = stock();
    const session = await startSession([{ productId: print.id, quantity: 1 }], true);

    await shop.fake.expireCheckoutSession(session.sessionId);

    expect(orderRow(shop.server, session.orderId).status).toBe('canceled');
    expect(stock()).toBe(before);
  });

  it('fulfils once when both the session and its intent report the success', async () => {
    const session = await startSession([{ productId: model.id, quantity: 1 }]);
    await shop.fake.completeCheckoutSession(session.sessionId, { paymentStatus: 'paid' });
    const intentId = shop.fake.checkoutSessions.get(session.sessionId)!.payment_intent as string;

    await shop.fake.sendEvent('payment_intent.succeeded', shop.fake.paymentIntents.get(intentId)!);

    expect(deliveredCounts(shop, session.orderId)).toMatchObject({
      fulfillments: 1,
      grants: 1,
      receipts: 1,
    });
  });

  it('keeps the order open when a card is declined on the hosted page', async () => {
    const session = await startSession([{ productId: model.id, quantity: 1 }]);

    await shop.fake.sendEvent('payment_intent.payment_failed', {
      id: 'pi_hosted_attempt',
      object: 'payment_intent',
      status: 'requires_payment_method',
      amount: 1200,
      amount_received: 0,
      currency: 'eur',
      last_payment_error: { code: 'card_declined' },
      metadata: { order_id: session.orderId },
    });

    expect(orderRow(shop.server, session.orderId).status).toBe('pending');
  });
});
