import { afterEach, describe, expect, it } from 'vitest';
import { writeTransaction } from '../../src/db/database.js';
import { getStripe } from '../../src/payments/stripe.js';
import { expirePendingOrders } from '../../src/services/background.js';
import { reserveStock } from '../../src/services/stock.js';
import { startTestServer, type TestServer } from '../helpers/app.js';
import {
  insertOrder,
  insertProduct,
  orderStatus,
  productStock,
} from '../helpers/physical-orders.js';
import { pollUntil } from '../helpers/smtp.js';
import { startStripeFake, type StripeFake } from '../helpers/stripe-fake.js';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function store(env: Record<string, string> = {}, background = false): Promise<TestServer> {
  const server = await startTestServer({ ORDER_TTL_MINUTES: '30', ...env }, { background });
  cleanups.push(() => server.close());
  insertProduct(server.app.locals.context.db, { id: 'lamp', name: 'Brass lamp', stock: 5 });
  return server;
}

async function stripeFake(): Promise<StripeFake> {
  const fake = await startStripeFake();
  cleanups.push(() => fake.close());
  return fake;
}

function stripeEnv(fake: StripeFake): Record<string, string> {
  return {
    STRIPE_SECRET_KEY: 'sk_test_background_expiry',
    STRIPE_PUBLISHABLE_KEY: 'pk_test_background_expiry',
    STRIPE_API_BASE: fake.url,
  };
}

const minutesAgo = (n: number) => new Date(Date.now() - n * 60_000).toISOString();

/** A pending order holding `quantity` lamps, as checkout leaves it. */
function pendingOrder(
  server: TestServer,
  options: Parameters<typeof insertOrder>[1] extends infer O ? Partial<O> : never = {},
  quantity = 2,
) {
  const { db } = server.app.locals.context;
  return writeTransaction(db, () => {
    const order = insertOrder(db, { lines: [{ productId: 'lamp', quantity }], ...options });
    reserveStock(db, order.id, [{ productId: 'lamp', quantity }]);
    return order.id;
  });
}

describe('expirePendingOrders()', () => {
  it('cancels orders past expires_at or older than ORDER_TTL_MINUTES and gives their stock back', async () => {
    const server = await store();
    const { db } = server.app.locals.context;
    const expired = pendingOrder(server, { expiresAt: minutesAgo(1) }, 1);
    const stale = pendingOrder(server, { createdAt: minutesAgo(31) }, 1);
    const fresh = pendingOrder(server, { createdAt: minutesAgo(29) }, 1);
    const notYet = pendingOrder(
      server,
      { createdAt: minutesAgo(90), expiresAt: new Date(Date.now() + 60_000).toISOString() },
      1,
    );
    const paid = insertOrder(db, {
      lines: [{ productId: 'lamp', quantity: 1 }],
      status: 'paid',
      createdAt: minutesAgo(120),
    });
    expect(productStock(db, 'lamp')).toBe(1);

    const canceled = await expirePendingOrders(server.app.locals.context);

    expect(canceled.sort()).toEqual([expired, stale].sort());
    expect([expired, stale, fresh, notYet, paid.id].map((id) => orderStatus(db, id))).toEqual([
      'canceled',
      'canceled',
      'pending',
      'pending',
      'paid',
    ]);
    expect(productStock(db, 'lamp')).toBe(3);
  });

  it('gives stock back once when two passes overlap', async () => {
    const server = await store();
    const { db } = server.app.locals.context;
    pendingOrder(server, { expiresAt: minutesAgo(1) }, 2);

    const [a, b] = await Promise.all([
      expirePendingOrders(server.app.locals.context),
      expirePendingOrders(server.app.locals.context),
    ]);

    expect(a.length + b.length).toBe(1);
    expect(productStock(db, 'lamp')).toBe(5);
  });

  it('cancels the PaymentIntent at Stripe before canceling the order', async () => {
    const fake = await stripeFake();
    const server = await store(stripeEnv(fake));
    const stripe = getStripe(server.config)!;
    const intent = await stripe.paymentIntents.create({ amount: 2000, currency: 'eur' });
    const orderId = pendingOrder(server, { expiresAt: minutesAgo(1), paymentIntentId: intent.id });

    const canceled = await expirePendingOrders(server.app.locals.context);

    expect(canceled).toEqual([orderId]);
    expect(fake.paymentIntents.get(intent.id)!.status).toBe('canceled');
    expect(
      fake.requestsTo('POST', `/v1/payment_intents/${intent.id}/cancel`)[0]!.params,
    ).toMatchObject({ cancellation_reason: 'abandoned' });
    expect(orderStatus(server.app.locals.context.db, orderId)).toBe('canceled');
  });

  it('fulfils an expired order whose payment succeeded at Stripe but whose webhook never came', async () => {
    const fake = await stripeFake();
    const server = await store(stripeEnv(fake));
    const { db } = server.app.locals.context;
    const stripe = getStripe(server.config)!;
    // Two lamps at 1500 eur each, as pendingOrder() prices them.
    const intent = await stripe.paymentIntents.create({ amount: 3000, currency: 'eur' });
    await fake.confirm(intent.id, 'succeeded', { webhook: false });
    const orderId = pendingOrder(server, { expiresAt: minutesAgo(1), paymentIntentId: intent.id });

    const canceled = await expirePendingOrders(server.app.locals.context);

    expect(canceled).toEqual([]);
    expect(orderStatus(db, orderId)).toBe('fulfilled');
    expect(productStock(db, 'lamp')).toBe(3);
    expect(fake.paymentIntents.get(intent.id)!.status).toBe('succeeded');
    const shipments = db
      .prepare('SELECT COUNT(*) FROM shipments WHERE order_id = ?')
      .pluck()
      .get(orderId);
    expect(shipments).toBe(1);
  });

  it('leaves an order pending, stock reserved, while its payment is still processing at Stripe', async () => {
    const fake = await stripeFake();
    const server = await store(stripeEnv(fake));
    const { db } = server.app.locals.context;
    const stripe = getStripe(server.config)!;
    const intent = await stripe.paymentIntents.create({ amount: 3000, currency: 'eur' });
    await fake.confirm(intent.id, 'processing', { webhook: false });
    const orderId = pendingOrder(server, { expiresAt: minutesAgo(1), paymentIntentId: intent.id });

    const canceled = await expirePendingOrders(server.app.locals.context);

    expect(canceled).toEqual([]);
    expect(orderStatus(db, orderId)).toBe('pending');
    expect(productStock(db, 'lamp')).toBe(3);
  });

  it('cancels an order whose intent was already canceled at Stripe', async () => {
    const fake = await stripeFake();
    const server = await store(stripeEnv(fake));
    const stripe = getStripe(server.config)!;
    const intent = await stripe.paymentIntents.create({ amount: 2000, currency: 'eur' });
    await stripe.paymentIntents.cancel(intent.id);
    const orderId = pendingOrder(server, { expiresAt: minutesAgo(1), paymentIntentId: intent.id });

    expect(await expirePendingOrders(server.app.locals.context)).toEqual([orderId]);
  });

  it('keeps the order pending when Stripe cannot be reached, and cancels it on a later pass', async () => {
    const fake = await stripeFake();
    const server = await store(stripeEnv(fake));
    const stripe = getStripe(server.config)!;
    const intent = await stripe.paymentIntents.create({ amount: 2000, currency: 'eur' });
    const orderId = pendingOrder(server, { expiresAt: minutesAgo(1), paymentIntentId: intent.id });
    fake.failNext({ path: /^\/v1\/payment_intents\//, status: 500, times: 20 });

    const first = await expirePendingOrders(server.app.locals.context);
    const statusAfterOutage = orderStatus(server.app.locals.context.db, orderId);
    // Stripe "comes back" once the remaining injected failures are used up.
    await pollUntil(
      () =>
        stripe.paymentIntents.retrieve(intent.id).then(
          () => true,
          () => false,
        ),
      'Stripe to answer again',
    );
    const second = await expirePendingOrders(server.app.locals.context);

    expect(first).toEqual([]);
    expect(statusAfterOutage).toBe('pending');
    expect(second).toEqual([orderId]);
  });

  it('expires the hosted Checkout Session of an order paid through Checkout', async () => {
    const fake = await stripeFake();
    const server = await store(stripeEnv(fake));
    const stripe = getStripe(server.config)!;
    const session = await stripe.checkout.sessions.create({
      mode: 'payment',
      success_url: 'http://127.0.0.1/success',
      line_items: [
        {
          quantity: 1,
          price_data: { currency: 'eur', unit_amount: 2000, product_data: { name: 'Brass lamp' } },
        },
      ],
    });
    const orderId = pendingOrder(server, { expiresAt: minutesAgo(1) });
    server.app.locals.context.db
      .prepare('UPDATE orders SET checkout_session_id = ? WHERE id = ?')
      .run(session.id, orderId);

    const canceled = await expirePendingOrders(server.app.locals.context);

    expect(canceled).toEqual([orderId]);
    expect(fake.checkoutSessions.get(session.id)!.status).toBe('expired');
  });
});

describe('startBackgroundWork()', () => {
  it('expires stale orders as soon as the app starts, and stops with the app', async () => {
    const first = await store();
    const orderId = pendingOrder(first, { createdAt: minutesAgo(45) });
    const dataDir = first.dataDir;
    const keep = await startTestServer({ ORDER_TTL_MINUTES: '30' }, { background: true, dataDir });

    await pollUntil(
      () => orderStatus(keep.app.locals.context.db, orderId) === 'canceled',
      'the expiry pass at start',
    );
    await keep.close();

    expect(productStock(first.app.locals.context.db, 'lamp')).toBe(5);
  });
});
