import { afterEach, describe, expect, it } from 'vitest';
import { writeTransaction } from '../../src/db/database.js';
import { createGrants } from '../../src/services/downloads.js';
import { isIssuedOrderKey } from '../../src/services/emails.js';
import { drainOutbox } from '../../src/services/outbox.js';
import { startTestServer, type TestServer } from '../helpers/app.js';
import { insertOrder, insertProduct } from '../helpers/physical-orders.js';
import { pollUntil, startTestSmtp, type TestSmtp } from '../helpers/smtp.js';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function setup(): Promise<{ server: TestServer; mail: TestSmtp }> {
  const mail = await startTestSmtp();
  cleanups.push(() => mail.close());
  const server = await startTestServer({ SMTP_URL: mail.url, STORE_NAME: 'Lookup Shop' });
  cleanups.push(() => server.close());
  const { db } = server.app.locals.context;
  insertProduct(db, {
    id: 'fox-model',
    name: 'Fox model',
    type: 'digital',
    price: 1200,
    withModel: true,
  });
  insertProduct(db, { id: 'mug', name: 'Enamel mug', type: 'physical', price: 900, stock: 20 });
  return { server, mail };
}

function lookup(server: TestServer, email: unknown) {
  return server.request('/api/orders/lookup', { method: 'POST', json: { email } });
}

function outboxTo(server: TestServer, address: string): number {
  return server.app.locals.context.db
    .prepare(
      "SELECT COUNT(*) FROM outbox WHERE kind = 'order_lookup' AND lower(to_address) = lower(?)",
    )
    .pluck()
    .get(address) as number;
}

describe('POST /api/orders/lookup', () => {
  it('answers a known and an unknown address with the same 202, status, body and headers', async () => {
    const { server } = await setup();
    insertOrder(server.app.locals.context.db, {
      email: 'known@example.test',
      lines: [{ productId: 'mug', quantity: 1 }],
      status: 'fulfilled',
    });

    const unknown = await lookup(server, 'nobody@example.test');
    const known = await lookup(server, 'known@example.test');

    expect(known.status).toBe(202);
    expect(unknown.status).toBe(202);
    const knownBody = await known.text();
    expect(knownBody).toBe(await unknown.text());
    expect(JSON.parse(knownBody)).toEqual({ ok: true });
    const headers = (res: Response) =>
      [...res.headers.entries()].filter(([name]) => name !== 'date');
    expect(headers(known)).toEqual(headers(unknown));
  });

  it('emails the paid orders of a known address, matched without case, with fresh order-page and download links', async () => {
    const { server, mail } = await setup();
    const context = server.app.locals.context;
    const paid = insertOrder(context.db, {
      email: 'Grace@Example.test',
      lines: [{ productId: 'fox-model', quantity: 1 }],
      status: 'fulfilled',
    });
    writeTransaction(context.db, () => createGrants(context, paid.id));
    const shipped = insertOrder(context.db, {
      email: 'grace@example.test',
      lines: [{ productId: 'mug', quantity: 2 }],
      status: 'paid',
    });
    const pending = insertOrder(context.db, {
      email: 'grace@example.test',
      lines: [{ productId: 'mug', quantity: 1 }],
      status: 'pending',
    });
    const canceled = insertOrder(context.db, {
      email: 'grace@example.test',
      lines: [{ productId: 'mug', quantity: 1 }],
      status: 'canceled',
    });

    const res = await lookup(server, 'GRACE@example.test');
    await pollUntil(
      () => outboxTo(server, 'grace@example.test') === 1,
      'the lookup email to be queued',
    );
    await drainOutbox(context);
    const [message] = await mail.waitFor((all) => all.length === 1);

    expect(res.status).toBe(202);
    expect(message!.subject).toBe('Your orders at Lookup Shop');
    // The spelling of the newest order, not the one typed into the lookup form.
    expect(message!.to).toBe('grace@example.test');
    expect(message!.text).toContain(`Order ${paid.id}`);
    expect(message!.text).toContain(`Order ${shipped.id}`);
    expect(message!.text).not.toContain(pending.id);
    expect(message!.text).not.toContain(canceled.id);
    expect(message!.text).toContain(`${server.url}/api/downloads/`);
    const pageLinks = message!.text.match(/http:\/\/\S+\/orders\/\?id=\S+/g) ?? [];
    expect(pageLinks).toHaveLength(2);
    for (const link of pageLinks) {
      const url = new URL(link);
      const orderId = url.searchParams.get('id')!;
      const key = decodeURIComponent(url.hash.replace('#key=', ''));
      expect(isIssuedOrderKey(context.db, orderId, key)).toBe(true);
      const view = await server.request(`/api/orders/${orderId}`, {
        headers: { authorization: `Bearer ${key}` },
      });
      expect(view.status).toBe(200);
    }
  });

  it('queues no email for an address without paid orders', async () => {
    const { server } = await setup();
    const { db } = server.app.locals.context;
    insertOrder(db, {
      email: 'pending-only@example.test',
      lines: [{ productId: 'mug', quantity: 1 }],
      status: 'pending',
    });
    insertOrder(db, {
      email: 'marker@example.test',
      lines: [{ productId: 'mug', quantity: 1 }],
      status: 'paid',
    });

    await lookup(server, 'nobody@example.test');
    await lookup(server, 'pending-only@example.test');
    // Lookups run in arrival order; once the marker's email is queued, the others have run.
    await lookup(server, 'marker@example.test');
    await pollUntil(() => outboxTo(server, 'marker@example.test') === 1, 'the marker lookup');

    expect(outboxTo(server, 'nobody@example.test')).toBe(0);
    expect(outboxTo(server, 'pending-only@example.test')).toBe(0);
  });

  it('answers 429 rate_limited on the fourth lookup of one address within the hour, whatever its case', async () => {
    const { server } = await setup();

    const answers = [];
    for (const email of [
      'ada@example.test',
      'ADA@example.test',
      'ada@EXAMPLE.test',
      'Ada@Example.Test',
    ]) {
      answers.push(await lookup(server, email));
    }
    const other = await lookup(server, 'someone-else@example.test');

    expect(answers.map((r) => r.status)).toEqual([202, 202, 202, 429]);
    const body = (await answers[3]!.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe('rate_limited');
    expect(body.error.message).toMatch(/Try again in about \d+ minutes?\./);
    expect(Number(answers[3]!.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(other.status).toBe(202);
  });

  it('answers 429 once one client asked for ten different addresses within 15 minutes', async () => {
    const { server } = await setup();

    const statuses = [];
    for (let i = 0; i < 11; i += 1)
      statuses.push((await lookup(server, `person${i}@example.test`)).status);

    expect(statuses).toEqual([...Array(10).fill(202), 429]);
  });

  it('answers 400 for a missing or malformed address, without counting it', async () => {
    const { server } = await setup();

    const missing = await server.request('/api/orders/lookup', { method: 'POST', json: {} });
    const malformed = await lookup(server, 'not-an-address');

    expect(missing.status).toBe(400);
    expect(malformed.status).toBe(400);
    expect(((await malformed.json()) as { error: { code: string } }).error.code).toBe(
      'invalid_request',
    );
  });
});
