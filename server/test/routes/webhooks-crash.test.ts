import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, startTestServer } from '../helpers/app.js';
import { reserveClosedPort } from '../helpers/smtp.js';
import { startStripeFake, type StripeFake } from '../helpers/stripe-fake.js';
import {
  ADDRESS,
  TEST_KEYS,
  createProduct,
  intentIdOf,
  waitFor,
  type CheckoutAnswer,
} from '../payments/shop.js';

/**
 * The real server (`src/main.ts` under tsx) as a child process on one data directory, killed
 * with SIGKILL in the middle of a payment and started again, as a crash or an OOM kill would.
 */
const MAIN = path.join(import.meta.dirname, '..', '..', 'src', 'main.ts');

interface Store {
  url: string;
  child: ChildProcess;
}

describe('a payment across a killed server', () => {
  let fake: StripeFake;
  let dataDir: string;
  let port: number;
  let productId: string;
  let store: Store | undefined;

  const env = () => ({
    PATH: process.env.PATH,
    NODE_ENV: 'test',
    LOG_LEVEL: 'silent',
    HOST: '127.0.0.1',
    PORT: String(port),
    PUBLIC_URL: `http://127.0.0.1:${port}`,
    DATA_DIR: dataDir,
    ADMIN_TOKEN,
    SITE_BUILD: 'off',
    STORE_CURRENCY: 'eur',
    ...TEST_KEYS,
    STRIPE_WEBHOOK_SECRET: fake.webhookSecret,
    STRIPE_API_BASE: fake.url,
  });

  async function startStore(): Promise<Store> {
    const child = spawn(process.execPath, ['--import', 'tsx', MAIN], {
      env: env(),
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const url = `http://127.0.0.1:${port}`;
    await waitFor(async () => {
      if (child.exitCode !== null) throw new Error(`the store exited: ${stderr}`);
      return (await fetch(`${url}/api/health`).catch(() => null))?.ok ? true : undefined;
    }, 30_000);
    store = { url, child };
    return store;
  }

  function kill(target: Store): Promise<void> {
    return new Promise((resolve) => {
      if (target.child.exitCode !== null || target.child.signalCode !== null) return resolve();
      target.child.once('exit', () => resolve());
      target.child.kill('SIGKILL');
    });
  }

  async function checkout(target: Store): Promise<CheckoutAnswer> {
    const res = await fetch(`${target.url}/api/checkout`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        items: [{ productId, quantity: 1 }],
        email: 'crash@example.com',
        shippingAddress: ADDRESS,
      }),
    });
    expect(res.status).toBe(201);
    return (await res.json()) as CheckoutAnswer;
  }

  /** What the order got, read by a fresh app on the same data directory once the child is dead. */
  async function delivered(orderId: string) {
    const server = await startTestServer(env(), { dataDir });
    try {
      const count = (sql: string) =>
        (server.app.locals.context.db.prepare(sql).get(orderId) as { n: number }).n;
      return {
        status: (
          server.app.locals.context.db
            .prepare('SELECT status FROM orders WHERE id = ?')
            .get(orderId) as { status: string }
        ).status,
        fulfillments: count('SELECT COUNT(*) AS n FROM fulfillments WHERE order_id = ?'),
        grants: count('SELECT COUNT(*) AS n FROM download_grants WHERE order_id = ?'),
        receipts: count(`SELECT COUNT(*) AS n FROM outbox WHERE dedupe_key = 'receipt:' || ?`),
        shipments: count('SELECT COUNT(*) AS n FROM shipments WHERE order_id = ?'),
        committedUnits: count(
          `SELECT COALESCE(SUM(quantity), 0) AS n FROM stock_reservations
           WHERE order_id = ? AND state = 'committed'`,
        ),
      };
    } finally {
      await server.close();
    }
  }

  beforeAll(async () => {
    fake = await startStripeFake({ secretKey: TEST_KEYS.STRIPE_SECRET_KEY });
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'vitrine-pay-crash-'));
    port = await reserveClosedPort();
    // The catalog exists before the first start, so the store seeds no demo products.
    const setup = await startTestServer(env(), { dataDir });
    try {
      const product = await createProduct(setup, {
        name: 'Boxed print with model',
        type: 'hybrid',
        price: 4200,
        physical: { sku: 'CRASH-1', weightGrams: 300, stock: 10 },
      });
      productId = product.id;
    } finally {
      await setup.close();
    }
    fake.webhookUrl = `http://127.0.0.1:${port}/api/webhooks/stripe`;
  }, 60_000);

  afterAll(async () => {
    if (store) await kill(store);
    await fake.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('fulfils once after the store died between the payment and its webhook: order page, then redeliveries', async () => {
    const first = await startStore();
    const order = await checkout(first);
    await kill(first);
    await fake.confirm(intentIdOf(order.clientSecret), 'succeeded');
    const lost = fake.deliveries.at(-1)!;
    expect(lost.status).toBe(0);

    const second = await startStore();
    const page = (await (
      await fetch(`${second.url}/api/orders/${order.orderId}`, {
        headers: { authorization: `Bearer ${order.orderKey}` },
      })
    ).json()) as { status: string; downloads: unknown[] };
    const redeliveries = await Promise.all([1, 2, 3].map(() => fake.deliver(lost.event)));
    await kill(second);

    expect(page.status).toBe('fulfilled');
    expect(page.downloads).toHaveLength(1);
    expect(redeliveries.map((d) => d.status)).toEqual([200, 200, 200]);
    expect(await delivered(order.orderId)).toEqual({
      status: 'fulfilled',
      fulfillments: 1,
      grants: 1,
      receipts: 1,
      shipments: 1,
      committedUnits: 1,
    });
  }, 90_000);

  it('fulfils once when the store is killed while it handles the webhook, once Stripe redelivers', async () => {
    const first = await startStore();
    const order = await checkout(first);
    await fake.confirm(intentIdOf(order.clientSecret), 'succeeded', { webhook: false });
    const event = [...fake.events]
      .reverse()
      .find(
        (e) =>
          e.type === 'payment_intent.succeeded' &&
          (e.data.object as Stripe.PaymentIntent).id === intentIdOf(order.clientSecret),
      )!;

    // The kill lands while the request is in flight: before, during or after the fulfilment.
    const inFlight = fake.deliver(event);
    await new Promise((resolve) => setImmediate(resolve));
    await kill(first);
    await inFlight;
    const second = await startStore();
    const retries = [await fake.deliver(event), await fake.deliver(event)];
    await kill(second);

    expect(retries.map((d) => d.status)).toEqual([200, 200]);
    expect(JSON.parse(retries[1]!.body)).toEqual({ received: true, duplicate: true });
    expect(await delivered(order.orderId)).toEqual({
      status: 'fulfilled',
      fulfillments: 1,
      grants: 1,
      receipts: 1,
      shipments: 1,
      committedUnits: 1,
    });
  }, 90_000);
});
