import type { AppContext } from '../context.js';
import { now, writeTransaction } from '../db/database.js';
import { fulfillOrder } from '../fulfillment/fulfill.js';
import { revokeGrants } from '../services/downloads.js';
import { queueRefundNotice } from '../services/emails.js';
import {
  attachPaymentRefs,
  findOrderByPaymentIntent,
  getOrderRow,
  markOrderStatus,
  recordPayment,
  type OrderRow,
} from '../services/orders.js';
import { releaseStock } from '../services/stock.js';
import {
  fromCharge,
  fromCheckoutSession,
  fromDispute,
  toOrderPayment,
  type ChargeFacts,
  type DisputeFacts,
  type PaymentFacts,
  type Stripe,
} from './stripe.js';

/**
 * What Stripe's events do to an order. Every handler here is synchronous and runs inside the
 * caller's write transaction, and each is written so that duplicates, retries and any arrival
 * order end in the same state:
 *
 * | event                         | pending            | failed / canceled     | fulfilled / paid | refunded / disputed / needs_review |
 * | ----------------------------- | ------------------ | --------------------- | ---------------- | ---------------------------------- |
 * | payment succeeded             | fulfil             | fulfil (late success) | nothing          | nothing                            |
 * | intent payment failed         | recorded (retry)   | nothing               | nothing          | nothing                            |
 * | session async payment failed  | failed, stock back | nothing               | nothing          | nothing                            |
 * | canceled / session expired    | canceled, stock back | canceled            | nothing          | nothing                            |
 * | full refund                   | refunded, stock back | refunded            | refunded, grants revoked | refunded                   |
 * | dispute                       | disputed, stock back | disputed            | disputed, grants revoked | disputed (refunded stays)  |
 *
 * A success never downgrades, and nothing after a refund or dispute delivers goods: a
 * `charge.refunded` that overtakes its `payment_intent.succeeded` leaves the order refunded.
 * A declined card leaves a PaymentIntent payable, so its order stays pending and keeps its
 * stock until a retry pays it or the expiry cancels the intent.
 */

export interface EventResult {
  /** A machine word for the log and `stripe_events.outcome`. */
  outcome: string;
  orderId: string | null;
}

/** Unpaid orders that a declined card or an expiry closes. */
const OPEN_STATUSES = ['pending'] as const;

/** A delayed method (SEPA, bank debit) may take two weeks; keep the order out of the expiry. */
const PROCESSING_HOLD_MS = 30 * 24 * 3600 * 1000;

/**
 * Finds the order an intent belongs to, by `metadata.order_id` (set by checkout) or by the
 * stored intent id, and checks that the order points at this very intent.
 */
function orderForIntent(
  context: AppContext,
  facts: PaymentFacts,
): { order?: OrderRow; problem?: string } {
  const { db } = context;
  const order = facts.orderId
    ? getOrderRow(db, facts.orderId)
    : facts.paymentIntentId
      ? findOrderByPaymentIntent(db, facts.paymentIntentId)
      : undefined;
  if (!order) return { problem: 'unknown_order' };
  if (order.payment_intent_id && order.payment_intent_id !== facts.paymentIntentId) {
    return { order, problem: 'intent_mismatch' };
  }
  return { order };
}

function orderForSession(
  context: AppContext,
  facts: PaymentFacts,
): { order?: OrderRow; problem?: string } {
  const order = facts.orderId ? getOrderRow(context.db, facts.orderId) : undefined;
  if (!order) return { problem: 'unknown_order' };
  if (order.checkout_session_id !== facts.ref) return { order, problem: 'session_mismatch' };
  if (
    facts.paymentIntentId &&
    order.payment_intent_id &&
    order.payment_intent_id !== facts.paymentIntentId
  ) {
    return { order, problem: 'intent_mismatch' };
  }
  return { order };
}

/** A successful payment, from a webhook or from the order page asking Stripe. */
export function applyPaymentSucceeded(
  context: AppContext,
  order: OrderRow,
  facts: PaymentFacts,
): string {
  return fulfillOrder(context, order.id, facts);
}

function applyPaymentFailed(
  context: AppContext,
  order: OrderRow,
  facts: PaymentFacts,
  viaSession: boolean,
): string {
  const { db } = context;
  record(context, order, facts);
  if (!viaSession) {
    // A declined attempt does not end a PaymentIntent: it goes back to requires_payment_method
    // and the shopper may try another card on it (Payment Element or hosted page). The order
    // stays pending and keeps its stock, or the retry could be paid for units someone else got
    // meanwhile; the expiry cancels the intent and frees the stock if no retry comes. Only a
    // hold granted to a processing payment is cut back to the order's normal lifetime.
    if (order.checkout_session_id || order.status !== 'pending') return 'recorded';
    const lifetimeEnd = new Date(
      Date.now() + context.config.orderTtlMinutes * 60_000,
    ).toISOString();
    if (order.expires_at === null || order.expires_at > lifetimeEnd) {
      markOrderStatus(db, order.id, 'pending', OPEN_STATUSES, { expiresAt: lifetimeEnd });
    }
    return 'declined';
  }
  // A delayed payment behind a completed Checkout Session failed: that session is over.
  if (!markOrderStatus(db, order.id, 'failed', OPEN_STATUSES)) return 'no_change';
  releaseStock(db, order.id);
  return 'failed';
}

function applyPaymentCanceled(context: AppContext, order: OrderRow, facts: PaymentFacts): string {
  const { db } = context;
  record(context, order, facts);
  if (!markOrderStatus(db, order.id, 'canceled', ['pending', 'failed'])) return 'no_change';
  releaseStock(db, order.id);
  return 'canceled';
}

function applyPaymentProcessing(context: AppContext, order: OrderRow, facts: PaymentFacts): string {
  const { db } = context;
  record(context, order, facts);
  attachPaymentRefs(db, order.id, { paymentIntentId: facts.paymentIntentId });
  const hold = new Date(Date.now() + PROCESSING_HOLD_MS).toISOString();
  return markOrderStatus(db, order.id, 'pending', ['pending'], { expiresAt: hold })
    ? 'processing'
    : 'no_change';
}

function applyRefund(context: AppContext, order: OrderRow, charge: ChargeFacts): string {
  const { db } = context;
  recordPayment(db, {
    orderId: order.id,
    providerRef: charge.chargeId,
    kind: 'refund',
    status: 'succeeded',
    amount: charge.amountRefunded,
    currency: charge.currency,
  });
  // The first refund, whole or partial, tells the customer (the notice is deduplicated per
  // order). Only a full refund takes back downloads and closes the order.
  queueRefundNotice(context, order.id);
  if (!charge.fullyRefunded) return 'partially_refunded';
  revokeGrants(db, order.id, 'refunded');
  releaseStock(db, order.id);
  markOrderStatus(db, order.id, 'refunded', [
    'pending',
    'paid',
    'fulfilled',
    'failed',
    'canceled',
    'disputed',
    'needs_review',
  ]);
  return 'refunded';
}

function applyDispute(context: AppContext, order: OrderRow, dispute: DisputeFacts): string {
  const { db } = context;
  recordPayment(db, {
    orderId: order.id,
    providerRef: dispute.disputeId,
    kind: 'dispute',
    status: dispute.status,
    amount: dispute.amount,
    currency: dispute.currency,
  });
  revokeGrants(db, order.id, 'disputed');
  releaseStock(db, order.id);
  markOrderStatus(db, order.id, 'disputed', [
    'pending',
    'paid',
    'fulfilled',
    'failed',
    'canceled',
    'needs_review',
  ]);
  return 'disputed';
}

function record(context: AppContext, order: OrderRow, facts: PaymentFacts): void {
  recordPayment(context.db, {
    orderId: order.id,
    providerRef: facts.ref,
    kind: facts.kind,
    status: facts.providerStatus,
    amount: facts.amount,
    currency: facts.currency,
  });
}

/**
 * Applies one verified event to its order. Events for objects that are not Vitrine's (another
 * integration on the same Stripe account) and types Vitrine does not use are ignored.
 */
export function applyStripeEvent(context: AppContext, event: Stripe.Event): EventResult {
  const object = event.data.object as unknown;
  switch (event.type) {
    case 'payment_intent.succeeded':
    case 'payment_intent.payment_failed':
    case 'payment_intent.canceled':
    case 'payment_intent.processing': {
      const facts = toOrderPayment(object as Stripe.PaymentIntent);
      const { order, problem } = orderForIntent(context, facts);
      if (!order || problem) return { outcome: `ignored_${problem}`, orderId: order?.id ?? null };
      const outcome =
        event.type === 'payment_intent.succeeded'
          ? facts.status === 'succeeded'
            ? applyPaymentSucceeded(context, order, facts)
            : 'ignored_not_succeeded'
          : event.type === 'payment_intent.payment_failed'
            ? applyPaymentFailed(context, order, facts, false)
            : event.type === 'payment_intent.canceled'
              ? applyPaymentCanceled(context, order, facts)
              : applyPaymentProcessing(context, order, facts);
      return { outcome, orderId: order.id };
    }

    case 'checkout.session.completed':
    case 'checkout.session.async_payment_succeeded':
    case 'checkout.session.async_payment_failed':
    case 'checkout.session.expired': {
      const facts = fromCheckoutSession(object as Stripe.Checkout.Session);
      const { order, problem } = orderForSession(context, facts);
      if (!order || problem) return { outcome: `ignored_${problem}`, orderId: order?.id ?? null };
      let outcome: string;
      if (event.type === 'checkout.session.async_payment_failed') {
        outcome = applyPaymentFailed(context, order, { ...facts, status: 'failed' }, true);
      } else if (event.type === 'checkout.session.expired') {
        outcome = applyPaymentCanceled(context, order, facts);
      } else if (facts.status === 'succeeded') {
        // `completed` with payment_status `paid`, or the delayed payment settling.
        outcome = applyPaymentSucceeded(context, order, facts);
      } else {
        // `completed` but `unpaid`: a delayed method is on its way; wait for async_payment_*.
        outcome = applyPaymentProcessing(context, order, facts);
      }
      return { outcome, orderId: order.id };
    }

    case 'charge.refunded': {
      const charge = fromCharge(object as Stripe.Charge);
      const order =
        (charge.paymentIntentId
          ? findOrderByPaymentIntent(context.db, charge.paymentIntentId)
          : undefined) ?? (charge.orderId ? getOrderRow(context.db, charge.orderId) : undefined);
      if (!order) return { outcome: 'ignored_unknown_order', orderId: null };
      return { outcome: applyRefund(context, order, charge), orderId: order.id };
    }

    case 'charge.dispute.created': {
      const dispute = fromDispute(object as Stripe.Dispute);
      const order = dispute.paymentIntentId
        ? findOrderByPaymentIntent(context.db, dispute.paymentIntentId)
        : undefined;
      if (!order) return { outcome: 'ignored_unknown_order', orderId: null };
      return { outcome: applyDispute(context, order, dispute), orderId: order.id };
    }

    default:
      return { outcome: 'ignored_type', orderId: null };
  }
}

export interface ProcessedEvent extends EventResult {
  duplicate: boolean;
}

/**
 * Records the event id, then applies the event and marks it processed in one write
 * transaction. An event already processed is a duplicate and changes nothing. If applying
 * throws, nothing of it is kept and the event stays unprocessed, so Stripe's retry runs it
 * again.
 */
export function processStripeEvent(context: AppContext, event: Stripe.Event): ProcessedEvent {
  const { db } = context;
  db.prepare(
    `INSERT INTO stripe_events (id, type, received_at) VALUES (?, ?, ?) ON CONFLICT (id) DO NOTHING`,
  ).run(event.id, event.type, now());

  return writeTransaction(db, (): ProcessedEvent => {
    const seen = db
      .prepare('SELECT processed_at, outcome, order_id FROM stripe_events WHERE id = ?')
      .get(event.id) as
      { processed_at: string | null; outcome: string | null; order_id: string | null } | undefined;
    if (seen?.processed_at) {
      return { duplicate: true, outcome: seen.outcome ?? 'processed', orderId: seen.order_id };
    }
    const result = applyStripeEvent(context, event);
    db.prepare(
      'UPDATE stripe_events SET processed_at = ?, outcome = ?, order_id = ? WHERE id = ?',
    ).run(now(), result.outcome, result.orderId, event.id);
    return { ...result, duplicate: false };
  });
}
