import { VitrineError } from '@vitrine/shared';
import type { AppContext } from '../context.js';
import { writeTransaction } from '../db/database.js';
import { sha256Hex } from '../ids.js';
import { queueOrderLookup } from './emails.js';

/**
 * Counts events per key in a sliding window, in memory. Old entries are pruned as keys are
 * touched, and the whole map is swept when it grows, so a flood of distinct keys cannot grow
 * it without bound.
 */
export class SlidingWindowLimiter {
  private readonly hits = new Map<string, number[]>();

  constructor(
    readonly limit: number,
    readonly windowMs: number,
    private readonly maxKeys = 50_000,
  ) {}

  /** Records a hit for `key` and returns how many ms to wait when it is over the limit, else 0. */
  take(key: string, at = Date.now()): number {
    const since = at - this.windowMs;
    const recent = (this.hits.get(key) ?? []).filter((t) => t > since);
    if (recent.length >= this.limit) {
      this.hits.set(key, recent);
      return recent[0]! + this.windowMs - at;
    }
    recent.push(at);
    this.hits.set(key, recent);
    if (this.hits.size > this.maxKeys) this.sweep(since);
    return 0;
  }

  private sweep(since: number): void {
    for (const [key, times] of this.hits) {
      if (times.every((t) => t <= since)) this.hits.delete(key);
    }
    // Still too many live keys (a flood): drop the oldest ones; Map keeps insertion order.
    for (const key of this.hits.keys()) {
      if (this.hits.size <= this.maxKeys) break;
      this.hits.delete(key);
    }
  }
}

export interface OrderLookupLimits {
  perIp: { limit: number; windowMs: number };
  perEmail: { limit: number; windowMs: number };
}

export const DEFAULT_LOOKUP_LIMITS: OrderLookupLimits = {
  perIp: { limit: 10, windowMs: 15 * 60_000 },
  perEmail: { limit: 3, windowMs: 60 * 60_000 },
};

export interface OrderLookup {
  /**
   * Checks the limits, then schedules the lookup after the caller has answered. Throws
   * `rate_limited` (429) when the address or the IP asked too often; otherwise returns at once,
   * the same way for known and unknown addresses.
   */
  request(email: string, ip: string): void;
  /** Resolves when every scheduled lookup has run (tests, shutdown). */
  idle(): Promise<void>;
}

/**
 * The "email me my orders" flow. The answer and its timing never depend on whether the
 * address has orders: the database is only read after the response, on a later turn of the
 * event loop, and the limits count every request alike. The email, when there are orders,
 * carries freshly issued order-page keys and download links (see `queueOrderLookup`).
 *
 * NOTE: the limits live in this process's memory. Several server processes behind one
 * address would each allow the full rate; move the counters to the database if the store
 * ever runs more than one process.
 */
export function createOrderLookup(
  context: AppContext,
  limits: OrderLookupLimits = DEFAULT_LOOKUP_LIMITS,
): OrderLookup {
  const byIp = new SlidingWindowLimiter(limits.perIp.limit, limits.perIp.windowMs);
  const byEmail = new SlidingWindowLimiter(limits.perEmail.limit, limits.perEmail.windowMs);
  const log = context.logger.child({ area: 'mail' });
  const pending = new Set<Promise<void>>();

  const run = (email: string) => {
    if (!context.db.open) return;
    try {
      const queued = writeTransaction(context.db, () => queueOrderLookup(context, email));
      // A hash, not the address: the log must not become a list of who asked.
      log.info({ emailHash: sha256Hex(email).slice(0, 12), queued }, 'order lookup handled');
    } catch (error) {
      log.error({ err: error }, 'order lookup failed');
    }
  };

  return {
    request(email, ip) {
      const normalized = email.trim().toLowerCase();
      const ipWait = byIp.take(ip);
      const emailWait = ipWait ? 0 : byEmail.take(normalized);
      const wait = ipWait || emailWait;
      if (wait > 0) {
        const minutes = Math.max(1, Math.ceil(wait / 60_000));
        throw new VitrineError(
          'rate_limited',
          `Too many order lookups from here or for this address. Try again in about ${minutes} ${minutes === 1 ? 'minute' : 'minutes'}.`,
          { details: { retryAfterSeconds: Math.ceil(wait / 1000) } },
        );
      }
      const job = new Promise<void>((resolve) => {
        setImmediate(() => {
          run(email.trim());
          resolve();
        });
      });
      pending.add(job);
      void job.finally(() => pending.delete(job));
    },
    async idle() {
      while (pending.size > 0) await Promise.all([...pending]);
    },
  };
}
