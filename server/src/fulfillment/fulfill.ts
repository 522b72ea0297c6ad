import { formatMoney, type FulfillmentType } from '@vitrine/shared';
import type { AppContext } from '../context.js';
import { now, writeTransaction } from '../db/database.js';
import { matchesTotal, type PaymentFacts } from '../payments/stripe.js';
import { queueReceipt } from '../services/emails.js';
import {
  FULFILLABLE_STATUSES,
  attachPaymentRefs,
  getOrderRow,
  markOrderStatus,
  recordPayment,
} from '../services/orders.js';
import { digitalAndPhysical } from './strategies/digital-and-physical.js';
import { digitalDownload } from './strategies/digital-download.js';
import { physicalShipping } from './strategies/physical-shipping.js';
import type { FulfillmentStrategy } from './strategies/types.js';

/**
 * One strategy per order-level fulfilment type. A new kind of product is a new entry here,
 * never a new branch in checkout, webhooks or the order page.
 */
export const STRATEGIES: Readonly<Record<FulfillmentType, FulfillmentStrategy>> = {
  digital_download: digitalDownload,
  physical_shipping: physicalShipping,
  digital_and_physical: digitalAndPhysical,
};

export type FulfillOutcome =
  /** This call delivered the order. */
  | 'fulfilled'
  /** An earlier call (or a concurrent one) already did. */
  | 'already_fulfilled'
  /** Money came in, but not the order's amount or currency: flagged `needs_review`, not delivered. */
  | 'amount_mismatch'
  /** The order is refunded, disputed or under review: a success for it delivers nothing. */
  | 'not_fulfillable';

/**
 * The one idempotent entry that turns a successful payment into a delivered order. Webhooks
 * and the order page both call it, any number of times, in any order.
 *
 * Everything happens in ONE `BEGIN IMMEDIATE` transaction: the `fulfillments` row (its primary
 * key is the order id, so a second run finds it and stops), the strategy's work, the status,
 * and the receipt in the outbox. So there is never a paid order without its fulfilment, and
 * never a second one. A throw rolls all of it back, and the caller (a webhook) answers 500 so
 * Stripe retries.
 *
 * Amount and currency are checked against the order first. A mismatch is never delivered: the
 * order moves to `needs_review` with the reason in `attention`, for the owner to refund or
 * settle by hand.
 *
 * A late success (the order was `failed` after a declined card, or `canceled` by expiry)
 * still fulfils: the money was taken, and the physical strategy takes the stock again.
 */
export function fulfillOrder(
  context: AppContext,
  orderId: string,
  payment: PaymentFacts,
): FulfillOutcome {
  if (payment.status !== 'succeeded') {
    throw new RangeError(
      `fulfillOrder(): payment ${payment.ref} is ${payment.status}, not succeeded`,
    );
  }
  const { db } = context;
  const log = context.logger.child({ area: 'fulfillment' });

  const outcome = writeTransaction(db, (): FulfillOutcome => {
    const order = getOrderRow(db, orderId);
    if (!order) throw new RangeError(`fulfillOrder(): there is no order ${orderId}`);
    if (db.prepare('SELECT 1 FROM fulfillments WHERE order_id = ?').get(orderId))
      return 'already_fulfilled';

    recordPayment(db, {
      orderId,
      providerRef: payment.ref,
      kind: payment.kind,
      status: payment.providerStatus,
      amount: payment.amount,
      currency: payment.currency,
    });
    attachPaymentRefs(db, orderId, { paymentIntentId: payment.paymentIntentId });
    if (!FULFILLABLE_STATUSES.includes(order.status)) return 'not_fulfillable';

    const at = now();
    const total = { amount: order.total_amount, currency: order.currency };
    if (!matchesTotal(payment, total)) {
      const paid = payment.currency
        ? formatMoney({ amount: payment.amount, currency: payment.currency.toLowerCase() })
        : `${payment.amount} (no currency)`;
      markOrderStatus(db, orderId, 'needs_review', FULFILLABLE_STATUSES, {
        paidAt: at,
        attention: `amount_mismatch: Stripe reported ${paid} on ${payment.ref}, the order is ${formatMoney(total)}`,
      });
      return 'amount_mismatch';
    }

    const claimed = db
      .prepare(
        `INSERT INTO fulfillments (order_id, fulfillment_type, created_at) VALUES (?, ?, ?)
         ON CONFLICT (order_id) DO NOTHING`,
      )
      .run(orderId, order.fulfillment_type, at);
    if (claimed.changes !== 1) return 'already_fulfilled';

    const strategy = STRATEGIES[order.fulfillment_type];
    if (!strategy)
      throw new RangeError(
        `fulfillOrder(): no strategy for "${order.fulfillment_type}" (order ${orderId})`,
      );
    const result = strategy.fulfill(context, order) ?? {};

    markOrderStatus(db, orderId, 'fulfilled', FULFILLABLE_STATUSES, {
      paidAt: at,
      fulfilledAt: at,
      attention: result.attention ?? null,
    });
    queueReceipt(context, orderId);
    return 'fulfilled';
  });

  if (outcome === 'amount_mismatch') {
    log.error(
      { orderId, ref: payment.ref, amount: payment.amount, currency: payment.currency },
      'payment does not match the order total; not fulfilled, flagged needs_review',
    );
  } else if (outcome === 'fulfilled') {
    log.info({ orderId, ref: payment.ref }, 'order fulfilled');
  } else {
    log.debug({ orderId, ref: payment.ref, outcome }, 'fulfilment skipped');
  }
  return outcome;
}
