import type { AppContext } from '../context.js';
import { refreshPendingOrder } from '../payments/refresh.js';
import { getStripe, type Stripe } from '../payments/stripe.js';
import { startOutboxWorker } from './outbox.js';
import { closeUnpaidOrder, getOrderRow } from './orders.js';

const EXPIRY_INTERVAL_MS = 60_000;

interface PendingRow {
  id: string;
  payment_intent_id: string | null;
  checkout_session_id: string | null;
}

/**
 * Makes sure the customer can no longer pay the order at Stripe. Resolves true when the intent
 * (or hosted Checkout Session) is canceled or expired, false when it is paid, processing or
 * Stripe could not be asked: then the order stays pending and the webhook, or the next pass,
 * decides.
 */
async function stopPaymentAtStripe(stripe: Stripe, row: PendingRow): Promise<boolean> {
  if (row.payment_intent_id) {
    const id = row.payment_intent_id;
    try {
      await stripe.paymentIntents.cancel(
        id,
        { cancellation_reason: 'abandoned' },
        { idempotencyKey: `expire:${row.id}` },
      );
      return true;
    } catch {
      // Already canceled is fine; succeeded or processing is a payment in flight.
      const intent = await stripe.paymentIntents.retrieve(id).catch(() => null);
      return intent?.status === 'canceled';
    }
  }
  if (row.checkout_session_id) {
    const id = row.checkout_session_id;
    try {
      await stripe.checkout.sessions.expire(id, {}, { idempotencyKey: `expire:${row.id}` });
      return true;
    } catch {
      const session = await stripe.checkout.sessions.retrieve(id).catch(() => null);
      return session?.status === 'expired';
    }
  }
  return true;
}

/**
 * Cancels pending orders that were never paid: past `expires_at`, or, when that is not set,
 * older than ORDER_TTL_MINUTES. For each one, in this order:
 *
 * 1. When payments are configured, cancel its PaymentIntent (or expire its Checkout Session)
 *    at Stripe first, so the customer cannot pay an order the store is about to drop. If Stripe
 *    says it is already paid, the order is fulfilled through the same checked path as the order
 *    page; if processing, it is left alone for the webhook.
 * 2. `pending → canceled` and its reserved stock released, in one write transaction guarded
 *    on the status (PAYMENTS' `closeUnpaidOrder`), so a payment that lands meanwhile wins.
 *
 * @returns the ids of the orders canceled by this call.
 */
export async function expirePendingOrders(context: AppContext, at = new Date()): Promise<string[]> {
  const { db, config } = context;
  const log = context.logger.child({ area: 'checkout' });
  const cutoff = new Date(at.getTime() - config.orderTtlMinutes * 60_000).toISOString();
  const rows = db
    .prepare(
      `SELECT id, payment_intent_id, checkout_session_id FROM orders
       WHERE status = 'pending'
         AND ((expires_at IS NOT NULL AND expires_at <= ?) OR (expires_at IS NULL AND created_at <= ?))
       ORDER BY created_at LIMIT 100`,
    )
    .all(at.toISOString(), cutoff) as PendingRow[];
  const canceled: string[] = [];
  const stripe = rows.length > 0 ? getStripe(config) : null;

  for (const row of rows) {
    if (stripe && !(await stopPaymentAtStripe(stripe, row))) {
      // The payment may have succeeded while its webhook never arrived (a store without a
      // webhook secret, or an endpoint that was down for days). Fulfil it through the order
      // page's checked path rather than leave a paid customer waiting forever.
      const order = db.open ? getOrderRow(db, row.id) : undefined;
      if (order) await refreshPendingOrder(context, order);
      if (getOrderRow(db, row.id)?.status === 'pending') {
        log.warn(
          { orderId: row.id },
          'pending order kept: Stripe did not confirm that its payment is stopped',
        );
      }
      continue;
    }
    if (!db.open) break;
    if (closeUnpaidOrder(context, row.id, 'canceled')) canceled.push(row.id);
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
