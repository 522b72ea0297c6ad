import { spawn } from 'node:child_process';
import path from 'node:path';
import readline from 'node:readline';
import { fileURLToPath } from 'node:url';
import { FULFILLMENT_TYPES, type Product } from '@vitrine/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { STRATEGIES, fulfillOrder } from '../../src/fulfillment/fulfill.js';
import { toOrderPayment, type PaymentFacts } from '../../src/payments/stripe.js';
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

const CHILD = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fulfill-race-child.ts');

describe('STRATEGIES', () => {
  it.each(FULFILLMENT_TYPES)('has a strategy for %s that names its own type', (type) => {
    expect(STRATEGIES[type].type).toBe(type);
    expect(typeof STRATEGIES[type].fulfill).toBe('function');
  });
});

describe('fulfillOrder()', () => {
  let shop: Shop;
  let model: Product;
  let print: Product;
  let figure: Product;
  const counts = (orderId: string) => {
    const n = (sql: string) => rowsFor(shop.server, sql, orderId)[0].n as number;
    return {
      fulfillments: n('SELECT COUNT(*) AS n FROM fulfillments WHERE order_id = ?'),
      grants: n('SELECT COUNT(*) AS n FROM download_grants WHERE order_id = ?'),
      shipments: n('SELECT COUNT(*) AS n FROM shipments WHERE order_id = ?'),
      receipts: n(`SELECT COUNT(*) AS n FROM outbox WHERE dedupe_key = 'receipt:' || ?`),
    };
  };
  /** A pending order whose intent has succeeded at Stripe, with no webhook sent. */
  const paidButNotFulfilled = async (
    items: { productId: string; quantity: number }[],
    address = false,
  ) => {
    const order = (
      await postCheckout(shop.server, { items, ...(address ? { shippingAddress: ADDRESS } : {}) })
    ).body as CheckoutAnswer;
    const intent = await shop.fake.confirm(intentIdOf(order.clientSecret), 'succeeded', {
      webhook: false,
    });
    return { order, facts: toOrderPayment(intent) };
  };

  beforeAll(async () => {
    shop = await startShop();
    ({ model, print } = await createModelAndPrint(shop.server, 20));
    figure = await createProduct(shop.server, {
      name: 'Box figure',
      type: 'hybrid',
      price: 4000,
      physical: { sku: 'FIG-1', weightGrams: 200, stock: 20 },
    });
  });
  afterAll(() => shop.close());

  it('delivers a digital order with grants only', async () => {
    const { order, facts } = await paidButNotFulfilled([{ productId: model.id, quantity: 1 }]);

    expect(fulfillOrder(shop.server.app.locals.context, order.orderId, facts)).toBe('fulfilled');

    expect(counts(order.orderId)).toEqual({
      fulfillments: 1,
      grants: 1,
      shipments: 0,
      receipts: 1,
    });
    expect(orderRow(shop.server, order.orderId)).toMatchObject({
      status: 'fulfilled',
      paid_at: expect.any(String),
      fulfilled_at: expect.any(String),
    });
  });

  it('delivers a physical order with a shipment and committed stock only', async () => {
    const { order, facts } = await paidButNotFulfilled(
      [{ productId: print.id, quantity: 2 }],
      true,
    );

    fulfillOrder(shop.server.app.locals.context, order.orderId, facts);

    expect(counts(order.orderId)).toEqual({
      fulfillments: 1,
      grants: 0,
      shipments: 1,
      receipts: 1,
    });
    expect(
      rowsFor(
        shop.server,
        'SELECT state, quantity FROM stock_reservations WHERE order_id = ?',
        order.orderId,
      ),
    ).toEqual([{ state: 'committed', quantity: 2 }]);
  });

  it('delivers a hybrid order with both a grant and a shipment', async () => {
    const { order, facts } = await paidButNotFulfilled(
      [{ productId: figure.id, quantity: 1 }],
      true,
    );

    fulfillOrder(shop.server.app.locals.context, order.orderId, facts);

    expect(counts(order.orderId)).toEqual({
      fulfillments: 1,
      grants: 1,
      shipments: 1,
      receipts: 1,
    });
  });

  it('does nothing the second time', async () => {
    const { order, facts } = await paidButNotFulfilled([{ productId: model.id, quantity: 1 }]);
    const context = shop.server.app.locals.context;

    const outcomes = [
      fulfillOrder(context, order.orderId, facts),
      fulfillOrder(context, order.orderId, facts),
    ];

    expect(outcomes).toEqual(['fulfilled', 'already_fulfilled']);
    expect(counts(order.orderId)).toEqual({
      fulfillments: 1,
      grants: 1,
      shipments: 0,
      receipts: 1,
    });
  });

  it('refuses a payment that has not succeeded, naming the function', async () => {
    const order = (
      await postCheckout(shop.server, { items: [{ productId: model.id, quantity: 1 }] })
    ).body as CheckoutAnswer;
    const facts: PaymentFacts = toOrderPayment(
      shop.fake.paymentIntents.get(intentIdOf(order.clientSecret))!,
    );

    expect(() => fulfillOrder(shop.server.app.locals.context, order.orderId, facts)).toThrow(
      /fulfillOrder\(\).*not succeeded/,
    );
    expect(counts(order.orderId).fulfillments).toBe(0);
  });

  it('rolls everything back when a step fails, so a retry can deliver', async () => {
    const { order, facts } = await paidButNotFulfilled(
      [{ productId: figure.id, quantity: 1 }],
      true,
    );
    const context = shop.server.app.locals.context;
    context.db.exec(
      `CREATE TRIGGER shipments_down BEFORE INSERT ON shipments BEGIN SELECT RAISE(ABORT, 'shipments unavailable'); END`,
    );
    try {
      expect(() => fulfillOrder(context, order.orderId, facts)).toThrow(/shipments unavailable/);
    } finally {
      context.db.exec('DROP TRIGGER shipments_down');
    }

    expect(counts(order.orderId)).toEqual({
      fulfillments: 0,
      grants: 0,
      shipments: 0,
      receipts: 0,
    });
    expect(orderRow(shop.server, order.orderId).status).toBe('pending');
    expect(fulfillOrder(context, order.orderId, facts)).toBe('fulfilled');
    expect(counts(order.orderId)).toEqual({
      fulfillments: 1,
      grants: 1,
      shipments: 1,
      receipts: 1,
    });
  });

  it('delivers exactly once when six processes fulfil the same order at the same moment', async () => {
    const stockBefore = rowsFor(
      shop.server,
      'SELECT stock FROM products WHERE id = ?',
      figure.id,
    )[0].stock;
    const { order, facts } = await paidButNotFulfilled(
      [{ productId: figure.id, quantity: 3 }],
      true,
    );
    const children = Array.from({ length: 6 }, () =>
      spawn(
        process.execPath,
        ['--import', 'tsx', CHILD, shop.server.dataDir, order.orderId, JSON.stringify(facts)],
        {
          cwd: path.dirname(CHILD),
          stdio: ['pipe', 'pipe', 'inherit'],
        },
      ),
    );
    const lines = children.map((child) =>
      readline.createInterface({ input: child.stdout! })[Symbol.asyncIterator](),
    );

    // Every process has opened the database before any of them starts.
    for (const line of lines) expect((await line.next()).value).toBe('ready');
    for (const child of children) child.stdin!.write('go\n');
    const results = await Promise.all(
      lines.map(async (line) => JSON.parse((await line.next()).value as string)),
    );

    expect(results.map((r) => r.outcome).sort()).toEqual([
      'already_fulfilled',
      'already_fulfilled',
      'already_fulfilled',
      'already_fulfilled',
      'already_fulfilled',
      'fulfilled',
    ]);
    expect(counts(order.orderId)).toEqual({
      fulfillments: 1,
      grants: 1,
      shipments: 1,
      receipts: 1,
    });
    expect(
      rowsFor(shop.server, 'SELECT stock FROM products WHERE id = ?', figure.id)[0].stock,
    ).toBe(stockBefore - 3);
  }, 60_000);
});
