import os from 'node:os';
import type { AppContext } from '../context.js';
import { now, writeTransaction, type Db } from '../db/database.js';
import { newId } from '../ids.js';
import { getMailer } from './mailer.js';

/** Kinds of email the store sends; stored in `outbox.kind` for the admin and the logs. */
export type EmailKind =
  'receipt' | 'refund' | 'shipment_shipped' | 'shipment_delivered' | 'order_lookup';

export interface OutgoingEmail {
  /** One message per key, ever: `receipt:<orderId>`, `shipment:<id>:shipped`, … */
  dedupeKey: string;
  kind: EmailKind;
  to: string;
  subject: string;
  text: string;
  html?: string;
}

/** An outbox row as the worker hands it to the mailer. */
export interface OutboxMessage extends OutgoingEmail {
  id: string;
  attempts: number;
}

interface OutboxRow {
  id: string;
  dedupe_key: string;
  kind: EmailKind;
  to_address: string;
  subject: string;
  text_body: string;
  html_body: string | null;
  attempts: number;
}

/**
 * How long a worker owns a claimed row. A crashed worker's rows come back after this (or at
 * once, see {@link releaseDeadClaims}). It must exceed the longest send the mailer allows.
 */
const CLAIM_LEASE_MS = 5 * 60 * 1000;
/** Rows claimed per round, so one round stays short. */
const CLAIM_BATCH = 20;
const DEFAULT_RETRY_BASE_MS = 1000;
const RETRY_CAP_MS = 10 * 60 * 1000;

/**
 * Queues an email inside the caller's write transaction, so the message exists exactly when
 * the business change that caused it does (a crash before commit loses both, after commit
 * keeps both). Idempotent on `dedupeKey`: a second call with the same key changes nothing.
 *
 * @returns true when this call added the row, false when the key was already queued.
 */
export function enqueueEmail(db: Db, email: OutgoingEmail): boolean {
  if (!email.dedupeKey || !email.to) {
    throw new RangeError('enqueueEmail(): dedupeKey and to are required');
  }
  const at = now();
  const result = db
    .prepare(
      `INSERT INTO outbox (id, dedupe_key, kind, to_address, subject, text_body, html_body,
         attempts, next_attempt_at, created_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, 0, ?, ?)
       ON CONFLICT (dedupe_key) DO NOTHING`,
    )
    .run(
      newId('msg'),
      email.dedupeKey,
      email.kind,
      email.to,
      email.subject,
      email.text,
      email.html ?? null,
      at,
      at,
    );
  return result.changes === 1;
}

/**
 * Delay before attempt `attempts + 1`: base, 2×base, 4×base … capped at 10 minutes.
 * The base is `config.outbox.retryBaseMs` (1 s by default; tests make it small).
 */
export function retryDelayMs(attempts: number, baseMs = DEFAULT_RETRY_BASE_MS): number {
  const exponent = Math.max(0, Math.min(attempts - 1, 30));
  return Math.min(baseMs * 2 ** exponent, RETRY_CAP_MS);
}

/**
 * Claims up to {@link CLAIM_BATCH} due rows by setting a lease in one write transaction. A
 * second worker (another process on the same database) skips leased rows, so no row is sent
 * by two workers at the same time. `claimed_by` names the claimer, so a failure only
 * reschedules a row this worker still owns.
 */
function claimDueRows(db: Db, worker: string): OutboxRow[] {
  return writeTransaction(db, () => {
    const at = now();
    const rows = db
      .prepare(
        `SELECT id, dedupe_key, kind, to_address, subject, text_body, html_body, attempts
         FROM outbox
         WHERE sent_at IS NULL AND next_attempt_at <= ?
           AND (claimed_until IS NULL OR claimed_until <= ?)
         ORDER BY next_attempt_at, created_at
         LIMIT ?`,
      )
      .all(at, at, CLAIM_BATCH) as OutboxRow[];
    const lease = new Date(Date.now() + CLAIM_LEASE_MS).toISOString();
    const claim = db.prepare(
      `UPDATE outbox SET claimed_until = ?, claimed_by = ? WHERE id = ? AND sent_at IS NULL`,
    );
    for (const row of rows) claim.run(lease, worker, row.id);
    return rows;
  });
}

/** Identifies this worker in `outbox.claimed_by`, so a row is only released by its claimer. */
function workerId(): string {
  return `${os.hostname()}:${process.pid}:${newId('w', 6)}`;
}

function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Frees the claims of workers that were on this host and whose process is gone (killed, or
 * crashed mid-send), so a restarted server sends their rows now instead of after the lease.
 * Claims of other hosts are left to expire.
 *
 * @returns how many rows were freed.
 */
export function releaseDeadClaims(db: Db): number {
  const at = now();
  const claims = db
    .prepare(
      `SELECT DISTINCT claimed_by FROM outbox
       WHERE sent_at IS NULL AND claimed_by IS NOT NULL AND claimed_until > ?`,
    )
    .pluck()
    .all(at) as string[];
  const host = os.hostname();
  let freed = 0;
  for (const claimer of claims) {
    const [claimHost, pidText] = claimer.split(':');
    const pid = Number(pidText);
    if (claimHost !== host || !Number.isInteger(pid) || pid === process.pid || isProcessAlive(pid))
      continue;
    freed += db
      .prepare(
        `UPDATE outbox SET claimed_until = NULL, claimed_by = NULL
         WHERE claimed_by = ? AND sent_at IS NULL`,
      )
      .run(claimer).changes;
  }
  return freed;
}

export interface DrainResult {
  sent: number;
  failed: number;
}

const drains = new WeakMap<AppContext, Promise<DrainResult>>();

/**
 * Sends every due, unclaimed message once: claim, send, then mark. Sent rows get `sent_at`
 * only after the SMTP server accepted the message (or the `.eml` file was renamed into
 * place). A failure adds an attempt, records `last_error` and schedules the next try with
 * exponential backoff.
 *
 * NOTE: delivery is at-least-once. If the process dies after the SMTP server accepted a
 * message but before `sent_at` is written, the lease expires and the row is sent again. Each
 * message carries a Message-ID derived from its outbox id, so that duplicate is recognisable
 * (and mail clients thread or drop it).
 *
 * Concurrent calls on one context share one pass, so the worker and a test never race.
 */
export function drainOutbox(context: AppContext): Promise<DrainResult> {
  const running = drains.get(context);
  if (running) return running;
  const pass = runDrain(context).finally(() => drains.delete(context));
  drains.set(context, pass);
  return pass;
}

async function runDrain(context: AppContext): Promise<DrainResult> {
  const { db } = context;
  const log = context.logger.child({ area: 'mail' });
  const baseMs = context.config.outbox?.retryBaseMs ?? DEFAULT_RETRY_BASE_MS;
  const worker = workerId();
  const mailer = getMailer(context);
  const result: DrainResult = { sent: 0, failed: 0 };
  if (!db.open) return result;
  const freed = releaseDeadClaims(db);
  if (freed > 0) log.warn({ count: freed }, 'took over emails claimed by a process that is gone');

  for (;;) {
    if (!db.open) return result;
    const rows = claimDueRows(db, worker);
    if (rows.length === 0) return result;

    for (const [index, row] of rows.entries()) {
      if (!db.open) return result;
      // A fresh lease per row, right before its send: a slow batch never lets the lease of a
      // later row run out while this worker still means to send it.
      if (!renewClaim(db, row.id, worker)) continue;
      const message: OutboxMessage = {
        id: row.id,
        dedupeKey: row.dedupe_key,
        kind: row.kind,
        to: row.to_address,
        subject: row.subject,
        text: row.text_body,
        html: row.html_body ?? undefined,
        attempts: row.attempts,
      };
      try {
        await mailer.send(message);
      } catch (error) {
        if (!db.open) return result;
        const attempts = row.attempts + 1;
        const delay = retryDelayMs(attempts, baseMs);
        const nextAt = new Date(Date.now() + delay).toISOString();
        const reason = describeError(error);
        db.prepare(
          `UPDATE outbox SET attempts = ?, next_attempt_at = ?, last_error = ?,
             claimed_until = NULL, claimed_by = NULL
           WHERE id = ? AND claimed_by = ? AND sent_at IS NULL`,
        ).run(attempts, nextAt, reason, row.id, worker);
        log.warn(
          { messageId: row.id, kind: row.kind, attempts, retryInMs: delay, reason },
          'email not sent; will retry',
        );
        result.failed += 1;
        if (isTransportDown(error)) {
          // The server is unreachable for every message: hand the rest of the batch back with
          // the same retry time instead of waiting out a connection timeout per row.
          const rest = rows.slice(index + 1).map((r) => r.id);
          deferRows(db, rest, worker, nextAt);
          return result;
        }
        continue;
      }
      if (!db.open) return result;
      db.prepare(
        `UPDATE outbox SET sent_at = ?, attempts = attempts + 1, last_error = NULL,
           claimed_until = NULL, claimed_by = NULL
         WHERE id = ?`,
      ).run(now(), row.id);
      log.info({ messageId: row.id, kind: row.kind }, 'email sent');
      result.sent += 1;
    }
  }
}

function renewClaim(db: Db, id: string, worker: string): boolean {
  const lease = new Date(Date.now() + CLAIM_LEASE_MS).toISOString();
  return (
    db
      .prepare(
        'UPDATE outbox SET claimed_until = ? WHERE id = ? AND claimed_by = ? AND sent_at IS NULL',
      )
      .run(lease, id, worker).changes === 1
  );
}

function deferRows(db: Db, ids: string[], worker: string, nextAt: string): void {
  const defer = db.prepare(
    `UPDATE outbox SET claimed_until = NULL, claimed_by = NULL,
       next_attempt_at = CASE WHEN next_attempt_at > ? THEN next_attempt_at ELSE ? END
     WHERE id = ? AND claimed_by = ? AND sent_at IS NULL`,
  );
  writeTransaction(db, () => {
    for (const id of ids) defer.run(nextAt, nextAt, id, worker);
  });
}

/**
 * True for failures that concern the SMTP server rather than one message: it cannot be
 * reached, does not greet, or refuses our login.
 * @see https://nodemailer.com/errors/
 */
function isTransportDown(error: unknown): boolean {
  const { code, command } = (error ?? {}) as { code?: string; command?: string };
  return command === 'CONN' || ['ECONNECTION', 'ETIMEDOUT', 'EDNS', 'EAUTH'].includes(code ?? '');
}

function describeError(error: unknown): string {
  const text = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  return text.slice(0, 500);
}

/**
 * Starts the outbox worker: a drain every `config.outbox.pollMs` (unref'd, so it never keeps
 * the process alive). The timer stops through `context.onClose`, which then waits for a
 * running pass to finish.
 */
export function startOutboxWorker(context: AppContext): void {
  const pollMs = context.config.outbox?.pollMs ?? 5000;
  const log = context.logger.child({ area: 'mail' });
  let stopped = false;

  const tick = () => {
    if (stopped) return;
    drainOutbox(context).catch((error: unknown) => {
      log.error({ err: error }, 'outbox pass failed');
    });
  };
  const timer = setInterval(tick, pollMs);
  timer.unref();
  // A first pass right away, so messages left by a previous process go out at start.
  setImmediate(tick);

  context.onClose.push(async () => {
    stopped = true;
    clearInterval(timer);
    await drains.get(context)?.catch(() => undefined);
  });
}

/** Counts of the outbox, for health checks and tests. */
export function outboxStats(db: Db): { pending: number; sent: number } {
  const row = db
    .prepare(
      `SELECT SUM(CASE WHEN sent_at IS NULL THEN 1 ELSE 0 END) AS pending,
              SUM(CASE WHEN sent_at IS NOT NULL THEN 1 ELSE 0 END) AS sent
       FROM outbox`,
    )
    .get() as { pending: number | null; sent: number | null };
  return { pending: row.pending ?? 0, sent: row.sent ?? 0 };
}
