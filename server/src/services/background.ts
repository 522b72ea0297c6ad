import type { AppContext } from '../context.js';
import { writeTransaction } from '../db/database.js';
import { getStripe } from '../payments/stripe.js';
import { startOutboxWorker } from './outbox.js';
import { releaseStock } from './stock.js';

const EXPIRY_INTERVAL_MS = 60_000;

interface PendingRow {
  id: string;
  payment_intent_id: string | null;
}

/**
 * Cancels pending orders that were never paid: past `expires_at`, or, when that is not set,
 * older than ORDER_TTL_MINUTES. For each one, in this order:
 *
 * 1. When payments are configured and the order has a PaymentIntent, cancel it at Stripe, so
 *    the customer can no longer pay an order the store is about to drop. If Stripe refuses
 *    because the intent already succeeded or is processing, the order is left alone: the
 *    webhook will fulfil it.
 * 2. In one write transaction, guarded on `status = 'pending'`: mark it `canceled` and return
 *    its reserved stock.
 *
 * @returns the ids of the orders canceled by this call.
 */
export async function expirePendingOrders(context: AppContext, at = new Date()): Promise<string[]> {
  const { db, config } = context;
  const log = context.logger.child({ area: 'checkout' });
  const cutoff = new Date(at.getTime() - config.orderTtlMinutes * 60_000).toISOString();
  const rows = db
    .prepare(
      `SELECT id, payment_intent_id FROM orders
       WHERE status = 'pending'
         AND ((expires_at IS NOT NULL AND expires_at <= ?) OR (expires_at IS NULL AND created_at <= ?))
       ORDER BY created_at LIMIT 100`,
    )
    .all(at.toISOString(), cutoff) as PendingRow[];
  const canceled: string[] = [];
  const stripe = rows.length > 0 ? getStripe(config) : null;

  for (const row of rows) {
    if (stripe && row.payment_intent_id) {
      try {
        await stripe.paymentIntents.cancel(
          row.payment_intent_id,
          { cancellation_reason: 'abandoned' },
          { idempotencyKey: `expire:${row.id}` },
        );
      } catch (error) {
        const stripeError = error as { code?: string; raw?: { payment_intent?: { status?: string } } };
        const status = stripeError.raw?.payment_intent?.status;
        if (status === 'canceled') {
          // Already canceled at Stripe (by us earlier, or by the dashboard): drop it here too.
        } else {
          log.warn(
            { orderId: row.id, code: stripeError.code, intentStatus: status },
            'pending order not expired: Stripe did not cancel its PaymentIntent',
          );
          continue;
        }
      }
    }
    if (!db.open) break;
    const changed = writeTransaction(db, () => {
      const update = db
        .prepare(`UPDATE orders SET status = 'canceled', updated_at = ? WHERE id = ? AND status = 'pending'`)
        .run(new Date().toISOString(), row.id);
      if (update.changes !== 1) return false;
      releaseStock(db, row.id);
      return true;
    });
    if (changed) canceled.push(row.id);
  }

  if (canceled.length > 0) log.info({ count: canceled.length }, 'expired unpaid orders');
  return canceled;
}

/**
 * Starts the timers of one app: the outbox worker, and the pending-order expiry once a minute.
 * Both are unref'd and stop through `context.onClose`.
 */
export function startBackgroundWork(context: AppContext): void {
  startOutboxWorker(context);

  const log = context.logger.child({ area: 'checkout' });
  let running: Promise<unknown> | undefined;
  const tick = () => {
    if (running || !context.db.open) return;
    running = expirePendingOrders(context)
      .catch((error: unknown) => log.error({ err: error }, 'order expiry pass failed'))
      .finally(() => {
        running = undefined;
      });
  };
  const timer = setInterval(tick, EXPIRY_INTERVAL_MS);
  timer.unref();
  setImmediate(tick);

  context.onClose.push(async () => {
    clearInterval(timer);
    await running;
  });
}
