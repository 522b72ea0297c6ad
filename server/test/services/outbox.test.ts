import { spawn } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { writeTransaction } from '../../src/db/database.js';
import {
  drainOutbox,
  enqueueEmail,
  outboxStats,
  releaseDeadClaims,
  retryDelayMs,
  type OutgoingEmail,
} from '../../src/services/outbox.js';
import { startTestServer, type TestServer } from '../helpers/app.js';
import { pollUntil, reserveClosedPort, startTestSmtp, type TestSmtp } from '../helpers/smtp.js';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function server(
  env: Record<string, string> = {},
  options: { background?: boolean; dataDir?: string } = {},
) {
  const started = await startTestServer(
    { STORE_NAME: 'Outbox Test Shop', MAIL_FROM: 'orders@shop.test', ...env },
    options,
  );
  cleanups.push(() => started.close());
  return started;
}

async function smtp(options: Parameters<typeof startTestSmtp>[0] = {}) {
  const started = await startTestSmtp(options);
  cleanups.push(() => started.close());
  return started;
}

function email(n: number, overrides: Partial<OutgoingEmail> = {}): OutgoingEmail {
  return {
    dedupeKey: `test:${n}`,
    kind: 'receipt',
    to: `customer${n}@example.test`,
    subject: `Message ${n}`,
    text: `Body of message ${n}`,
    html: `<p>Body of message ${n}</p>`,
    ...overrides,
  };
}

function enqueue(target: TestServer, ...emails: OutgoingEmail[]) {
  const { db } = target.app.locals.context;
  return writeTransaction(db, () => emails.map((e) => enqueueEmail(db, e)));
}

function rows(target: TestServer) {
  return target.app.locals.context.db
    .prepare(
      'SELECT id, dedupe_key, attempts, next_attempt_at, sent_at, last_error, claimed_by FROM outbox ORDER BY dedupe_key',
    )
    .all() as {
    id: string;
    dedupe_key: string;
    attempts: number;
    next_attempt_at: string;
    sent_at: string | null;
    last_error: string | null;
    claimed_by: string | null;
  }[];
}

/** Accepted messages per Message-ID. */
function countById(mail: TestSmtp): Map<string, number> {
  const counts = new Map<string, number>();
  for (const m of mail.messages)
    counts.set(m.messageId ?? '', (counts.get(m.messageId ?? '') ?? 0) + 1);
  return counts;
}

describe('enqueueEmail()', () => {
  it('adds one row per dedupe key, however often it is called', async () => {
    const app = await server();

    const results = enqueue(app, email(1), email(1, { subject: 'changed' }), email(2));

    expect(results).toEqual([true, false, true]);
    expect(rows(app).map((r) => r.dedupe_key)).toEqual(['test:1', 'test:2']);
    expect(
      app.app.locals.context.db
        .prepare("SELECT subject FROM outbox WHERE dedupe_key = 'test:1'")
        .pluck()
        .get(),
    ).toBe('Message 1');
  });

  it('writes nothing when the surrounding transaction rolls back', async () => {
    const app = await server();
    const { db } = app.app.locals.context;

    expect(() =>
      writeTransaction(db, () => {
        enqueueEmail(db, email(1));
        throw new Error('fulfilment failed after queueing');
      }),
    ).toThrow('fulfilment failed');

    expect(rows(app)).toEqual([]);
  });
});

describe('retryDelayMs()', () => {
  it.each([
    [1, 1000],
    [2, 2000],
    [3, 4000],
    [10, 512_000],
    [11, 600_000],
    [50, 600_000],
  ])('waits %i attempt(s) → %i ms with a 1 s base, capped at 10 minutes', (attempts, ms) => {
    expect(retryDelayMs(attempts, 1000)).toBe(ms);
  });

  it('scales with the configured base', () => {
    expect(retryDelayMs(3, 50)).toBe(200);
  });
});

describe('drainOutbox()', () => {
  it('sends each due message over SMTP once and marks it sent', async () => {
    const mail = await smtp();
    const app = await server({ SMTP_URL: mail.url });
    enqueue(app, email(1), email(2));

    const first = await drainOutbox(app.app.locals.context);
    const second = await drainOutbox(app.app.locals.context);

    expect(first).toEqual({ sent: 2, failed: 0 });
    expect(second).toEqual({ sent: 0, failed: 0 });
    expect(mail.messages.map((m) => [m.to, m.subject])).toEqual([
      ['customer1@example.test', 'Message 1'],
      ['customer2@example.test', 'Message 2'],
    ]);
    const sent = rows(app);
    expect(sent.every((r) => r.sent_at !== null && r.attempts === 1 && r.claimed_by === null)).toBe(
      true,
    );
    expect(outboxStats(app.app.locals.context.db)).toEqual({ pending: 0, sent: 2 });
  });

  it("sends from MAIL_FROM in the store's name with a Message-ID derived from the outbox row", async () => {
    const mail = await smtp();
    const app = await server({ SMTP_URL: mail.url });
    enqueue(app, email(1));

    await drainOutbox(app.app.locals.context);

    const [message] = mail.messages;
    const [row] = rows(app);
    expect(message!.parsed.from?.value).toEqual([
      { address: 'orders@shop.test', name: 'Outbox Test Shop' },
    ]);
    expect(message!.envelope.from).toBe('orders@shop.test');
    expect(message!.messageId).toBe(`<${row!.id}@shop.test>`);
    expect(message!.text.trim()).toBe('Body of message 1');
    expect(message!.html).toContain('<p>Body of message 1</p>');
  });

  it('records a refused message, backs off, and sends it once the backoff is over', async () => {
    let refuse = true;
    const mail = await smtp({ refuse: () => refuse });
    const app = await server({ SMTP_URL: mail.url, OUTBOX_RETRY_BASE_MS: '300' });
    enqueue(app, email(1));

    const failed = await drainOutbox(app.app.locals.context);
    const [row] = rows(app);
    refuse = false;
    const tooEarly = await drainOutbox(app.app.locals.context);

    expect(failed).toEqual({ sent: 0, failed: 1 });
    expect(row!.attempts).toBe(1);
    expect(row!.last_error).toMatch(/451/);
    expect(Date.parse(row!.next_attempt_at) - Date.now()).toBeGreaterThan(0);
    expect(tooEarly).toEqual({ sent: 0, failed: 0 });

    await pollUntil(
      async () => (await drainOutbox(app.app.locals.context)).sent === 1,
      'the retry',
    );
    expect(mail.messages).toHaveLength(1);
    expect(rows(app)[0]).toMatchObject({ attempts: 2, last_error: null });
  });

  it('never lets two workers on the same database send the same message', async () => {
    const mail = await smtp({
      // Hold every answer a little, so the two passes overlap; 30 rows exceed one claim batch.
      beforeAccept: () => new Promise((resolve) => setTimeout(resolve, 10)),
    });
    const first = await server({ SMTP_URL: mail.url });
    const second = await server({ SMTP_URL: mail.url }, { dataDir: first.dataDir });
    enqueue(first, ...Array.from({ length: 30 }, (_, i) => email(i)));

    const [a, b] = await Promise.all([
      drainOutbox(first.app.locals.context),
      drainOutbox(second.app.locals.context),
    ]);

    expect(a.sent + b.sent).toBe(30);
    expect(a.sent).toBeGreaterThan(0);
    expect(b.sent).toBeGreaterThan(0);
    expect(mail.messages).toHaveLength(30);
    expect([...countById(mail).values()].every((n) => n === 1)).toBe(true);
  });
});

describe('the outbox worker', () => {
  it('delivers every message exactly once across an SMTP outage, when the server comes back on the same port', async () => {
    const port = await reserveClosedPort();
    const app = await server(
      { SMTP_URL: `smtp://127.0.0.1:${port}`, OUTBOX_POLL_MS: '30', OUTBOX_RETRY_BASE_MS: '30' },
      { background: true },
    );
    enqueue(app, email(1), email(2), email(3));

    await pollUntil(
      () => rows(app).some((r) => r.attempts >= 2 && r.last_error?.includes('ECONNREFUSED')),
      'failed attempts while SMTP is down',
    );
    expect(rows(app).every((r) => r.sent_at === null)).toBe(true);
    const mail = await smtp({ port });
    await pollUntil(
      () => rows(app).every((r) => r.sent_at !== null),
      'delivery after SMTP came back',
    );
    // One more full pass must not send anything again.
    await drainOutbox(app.app.locals.context);

    expect(mail.messages.map((m) => m.subject).sort()).toEqual([
      'Message 1',
      'Message 2',
      'Message 3',
    ]);
    expect([...countById(mail).values()]).toEqual([1, 1, 1]);
  });
});

describe('drainOutbox() while the SMTP server is unreachable', () => {
  it('stops the pass at the first connection failure and defers the other messages to the same retry time', async () => {
    const port = await reserveClosedPort();
    const app = await server({
      SMTP_URL: `smtp://127.0.0.1:${port}`,
      OUTBOX_RETRY_BASE_MS: '60000',
    });
    enqueue(app, email(1), email(2), email(3), email(4));

    const result = await drainOutbox(app.app.locals.context);

    expect(result).toEqual({ sent: 0, failed: 1 });
    const after = rows(app);
    expect(after.map((r) => r.attempts).sort()).toEqual([0, 0, 0, 1]);
    expect(new Set(after.map((r) => r.next_attempt_at)).size).toBe(1);
    expect(Date.parse(after[0]!.next_attempt_at) - Date.now()).toBeGreaterThan(50_000);
    expect(after.every((r) => r.claimed_by === null && r.sent_at === null)).toBe(true);
  });
});

describe('releaseDeadClaims()', () => {
  it('frees rows claimed by a process on this host that is gone, and keeps live claims', async () => {
    const app = await server();
    const { db } = app.app.locals.context;
    enqueue(app, email(1), email(2));
    const gone = spawn(process.execPath, ['-e', '0']);
    const deadPid = await new Promise<number>((resolve) =>
      gone.once('exit', () => resolve(gone.pid!)),
    );
    const lease = new Date(Date.now() + 60_000).toISOString();
    const host = (await import('node:os')).hostname();
    db.prepare(
      "UPDATE outbox SET claimed_until = ?, claimed_by = ? WHERE dedupe_key = 'test:1'",
    ).run(lease, `${host}:${deadPid}:w_dead`);
    db.prepare(
      "UPDATE outbox SET claimed_until = ?, claimed_by = ? WHERE dedupe_key = 'test:2'",
    ).run(lease, `${host}:${process.ppid}:w_live`);

    const freed = releaseDeadClaims(db);

    expect(freed).toBe(1);
    expect(rows(app).map((r) => r.claimed_by)).toEqual([null, `${host}:${process.ppid}:w_live`]);
  });
});
