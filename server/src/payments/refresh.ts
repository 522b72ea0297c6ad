import type { AppContext } from '../context.js';
import { fulfillOrder } from '../fulfillment/fulfill.js';
import type { OrderRow } from '../services/orders.js';
import {
  describeStripeError,
  fromCheckoutSession,
  getStripe,
  toOrderPayment,
  type PaymentFacts,
} from './stripe.js';

/** How often one order may ask Stripe, however often its page polls. */
const REFRESH_INTERVAL_MS = 1000;

const lastAsked = new WeakMap<AppContext, Map<string, number>>();

/**
 * The order page's safety net for a slow webhook: while an order is unpaid (`pending`, or
 * `failed` after a declined card that the shopper may have retried), ask Stripe for its
 * PaymentIntent or Checkout Session, and fulfil through the same checked, idempotent path as
 * the webhook when the payment has succeeded. Stripe being unreachable is logged and the page
 * answers with what the database knows.
 */
export async function refreshPendingOrder(context: AppContext, order: OrderRow): Promise<void> {
  if (order.status !== 'pending' && order.status !== 'failed') return;
  if (!order.payment_intent_id && !order.checkout_session_id) return;
  const stripe = getStripe(context.config);
  if (!stripe) return;

  let asked = lastAsked.get(context);
  if (!asked) {
    asked = new Map();
    lastAsked.set(context, asked);
  }
  const last = asked.get(order.id) ?? 0;
  if (Date.now() - last < REFRESH_INTERVAL_MS) return;
  asked.set(order.id, Date.now());
  if (asked.size > 10_000) asked.clear();

  const log = context.logger.child({ area: 'checkout' });
  // The page polls again soon; a quick answer beats the SDK's retries with backoff here.
  const options = { maxNetworkRetries: 0, timeout: 5000 };
  let facts: PaymentFacts;
  try {
    facts = order.payment_intent_id
      ? toOrderPayment(await stripe.paymentIntents.retrieve(order.payment_intent_id, {}, options))
      : fromCheckoutSession(
          await stripe.checkout.sessions.retrieve(order.checkout_session_id!, {}, options),
        );
  } catch (error) {
    log.warn(
      { orderId: order.id, stripe: describeStripeError(error) },
      'could not ask Stripe about a pending order',
    );
    return;
  }
  if (facts.status !== 'succeeded') return;

  // The object was retrieved by the id stored on this order, so it is this order's payment even
  // if its metadata were edited; fulfillOrder still checks the amount and currency.
  const outcome = fulfillOrder(context, order.id, facts);
  log.info(
    { orderId: order.id, ref: facts.ref, outcome },
    'order page found the payment succeeded before the webhook',
  );
}
