import { VitrineError } from '@vitrine/shared';
import type { AppContext } from '../context.js';
import { REFUNDABLE_STATUSES, getOrderRow } from '../services/orders.js';
import { describeStripeError, requireStripe, type Stripe } from './stripe.js';

export interface RefundStarted {
  orderId: string;
  refund: { id: string; status: string | null; amount: number; currency: string };
}

/**
 * Asks Stripe to refund an order's payment in full. The idempotency key is the order's, so a
 * second click (or a retry after a timeout) never refunds twice. Nothing changes locally here:
 * the `charge.refunded` webhook revokes downloads, marks the order refunded and queues the
 * notice, the same way for refunds made in the Stripe dashboard.
 *
 * @returns undefined for an unknown order.
 * @throws VitrineError `conflict` (409) unless the order is paid, fulfilled or under review.
 */
export async function refundOrder(
  context: AppContext,
  orderId: string,
  reason?: Stripe.RefundCreateParams.Reason,
): Promise<RefundStarted | undefined> {
  const order = getOrderRow(context.db, orderId);
  if (!order) return undefined;
  if (!REFUNDABLE_STATUSES.includes(order.status)) {
    throw new VitrineError(
      'conflict',
      `Order ${orderId} is ${order.status}, so there is no payment to refund. Only paid, fulfilled or needs_review orders can be refunded.`,
    );
  }
  if (!order.payment_intent_id) {
    throw new VitrineError(
      'conflict',
      `Order ${orderId} has no Stripe payment on record, so it cannot be refunded from here. Refund it in the Stripe dashboard.`,
    );
  }
  const stripe = requireStripe(context.config);
  const log = context.logger.child({ area: 'admin' });

  let refund: Stripe.Refund;
  try {
    refund = await stripe.refunds.create(
      {
        payment_intent: order.payment_intent_id,
        metadata: { order_id: orderId },
        ...(reason ? { reason } : {}),
      },
      { idempotencyKey: `refund:${orderId}` },
    );
  } catch (error) {
    const detail = describeStripeError(error);
    log.error({ orderId, stripe: detail }, 'refund refused by Stripe');
    if (detail.code === 'charge_already_refunded') {
      throw new VitrineError(
        'conflict',
        `Order ${orderId} is already refunded at Stripe; its status follows once the webhook arrives.`,
        { cause: error },
      );
    }
    if (detail.type === 'idempotency_error') {
      throw new VitrineError(
        'conflict',
        `A refund for order ${orderId} was already requested with other options; it cannot be requested again from here.`,
        { cause: error },
      );
    }
    throw new VitrineError(
      'payment_provider_error',
      `Stripe did not accept the refund for order ${orderId}: ${detail.message}`,
      { cause: error },
    );
  }

  log.info({ orderId, refundId: refund.id, amount: refund.amount }, 'refund requested');
  return {
    orderId,
    refund: {
      id: refund.id,
      status: refund.status,
      amount: refund.amount,
      currency: refund.currency,
    },
  };
}
