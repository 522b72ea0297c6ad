import {
  VitrineError,
  checkMetadata,
  type CheckoutRequest,
  type CheckoutResponse,
  type CheckoutSessionResponse,
  type OrderMetadata,
} from '@vitrine/shared';
import type { AppContext } from '../context.js';
import { writeTransaction } from '../db/database.js';
import {
  describeStripeError,
  requireStripe,
  toStripeShipping,
  type Stripe,
} from '../payments/stripe.js';
import { orderPageUrl } from './emails.js';
import {
  attachPaymentRefs,
  closeUnpaidOrder,
  createPendingOrder,
  recordPayment,
  type OrderRow,
} from './orders.js';
import { priceOrder, type PricedOrder } from './pricing.js';

/**
 * Stripe takes a Checkout Session expiry between 30 minutes and 24 hours after creation; a
 * minute of margin on each side absorbs the time between our clock and Stripe's.
 * @see https://docs.stripe.com/payments/checkout/managing-limited-inventory
 */
const CHECKOUT_SESSION_MIN_TTL_MS = 30 * 60 * 1000 + 60_000;
const CHECKOUT_SESSION_MAX_TTL_MS = 24 * 3600 * 1000 - 60_000;

/**
 * The metadata Vitrine writes on PaymentIntents and Checkout Sessions: a pointer back to the
 * order and how it is fulfilled, never the lines (they live in the database). Throws when it
 * would not fit Stripe's limits, which would otherwise fail the payment call itself.
 * @see https://docs.stripe.com/metadata#data
 */
export function buildOrderMetadata(
  order: {
    orderId: string;
    fulfillmentType: OrderMetadata['fulfillment_type'];
    productType: string;
  },
  extra: Record<string, string> = {},
): OrderMetadata {
  const metadata: OrderMetadata = {
    ...extra,
    order_id: order.orderId,
    fulfillment_type: order.fulfillmentType,
    product_type: order.productType,
  };
  const problems = checkMetadata(metadata);
  if (problems.length > 0) {
    throw new RangeError(
      `buildOrderMetadata(): the metadata does not fit Stripe's limits: ${problems.join('; ')}`,
    );
  }
  return metadata;
}

/**
 * The idempotency key of the payment call: the order id plus the hash of what is charged. A
 * retry of the same call reuses the object Stripe already made; a different cart is a
 * different order and a different key, so it can never be charged at an old amount.
 */
export function paymentIdempotencyKey(
  kind: 'pi' | 'cs',
  orderId: string,
  priced: Pick<PricedOrder, 'contentHash'>,
): string {
  return `vitrine:${kind}:${orderId}:${priced.contentHash.slice(0, 32)}`;
}

function orderExpiry(context: AppContext, minimumMs = 0, maximumMs = Infinity): Date {
  const ttl = Math.min(Math.max(context.config.orderTtlMinutes * 60_000, minimumMs), maximumMs);
  return new Date(Date.now() + ttl);
}

/**
 * Gives up on an order whose payment object could not be made: marks it failed, returns its
 * stock, and answers 502 naming Stripe. Never throws from the cleanup itself.
 */
function providerFailure(
  context: AppContext,
  orderId: string,
  error: unknown,
  what: string,
): VitrineError {
  const log = context.logger.child({ area: 'checkout' });
  const detail = describeStripeError(error);
  log.error(
    { orderId, stripe: detail },
    `Stripe refused to create the ${what}; order marked failed`,
  );
  try {
    closeUnpaidOrder(context, orderId, 'failed');
  } catch (cleanup) {
    log.error({ orderId, err: cleanup }, 'could not mark the order failed after the Stripe error');
  }
  return new VitrineError(
    'payment_provider_error',
    'The payment could not be started because Stripe did not accept the request. Nothing was charged; try again in a moment.',
    { cause: error, details: { stripeRequestId: detail.requestId } },
  );
}

/**
 * Cancels the PaymentIntent of an order that a newer checkout replaced. Best effort: when
 * Stripe refuses (the shopper paid it meanwhile), the `payment_intent.succeeded` webhook
 * fulfils that older order as a late success.
 */
async function cancelReplacedIntent(
  context: AppContext,
  stripe: Stripe,
  replaced: OrderRow,
): Promise<void> {
  const log = context.logger.child({ area: 'checkout' });
  try {
    if (replaced.payment_intent_id) {
      await stripe.paymentIntents.cancel(
        replaced.payment_intent_id,
        { cancellation_reason: 'abandoned' },
        { idempotencyKey: `vitrine:replace:${replaced.id}` },
      );
    } else if (replaced.checkout_session_id) {
      await stripe.checkout.sessions.expire(
        replaced.checkout_session_id,
        {},
        { idempotencyKey: `vitrine:replace:${replaced.id}` },
      );
    }
  } catch (error) {
    log.warn(
      { orderId: replaced.id, stripe: describeStripeError(error) },
      'could not cancel the payment of a replaced order',
    );
  }
}

/**
 * What both checkouts do before they talk to Stripe: price the cart from the catalog, store the
 * pending order with its stock taken (giving back a replaced order's stock in the same
 * transaction), stop the replaced order's payment, and build the order's metadata.
 */
async function openPendingOrder(
  context: AppContext,
  stripe: Stripe,
  request: CheckoutRequest,
  expiresAt: Date,
) {
  const priced = priceOrder(context, request);
  const { orderId, orderKey, replaced } = createPendingOrder(context, priced, {
    expiresAt: expiresAt.toISOString(),
    replaces: request.replaces,
  });
  if (replaced) await cancelReplacedIntent(context, stripe, replaced);

  const metadata = buildOrderMetadata({
    orderId,
    fulfillmentType: priced.fulfillmentType,
    productType: priced.productType,
  });
  return { priced, orderId, orderKey, metadata };
}

/**
 * `POST /api/checkout`: prices the cart from the catalog, stores a pending order with its
 * stock taken, and creates ONE PaymentIntent for its total. The browser confirms it with the
 * Payment Element; the webhook (or the order page) fulfils.
 */
export async function startPaymentIntentCheckout(
  context: AppContext,
  request: CheckoutRequest,
): Promise<CheckoutResponse> {
  const { config, db } = context;
  const stripe = requireStripe(config);
  const { priced, orderId, orderKey, metadata } = await openPendingOrder(
    context,
    stripe,
    request,
    orderExpiry(context),
  );
  let intent: Stripe.PaymentIntent;
  try {
    intent = await stripe.paymentIntents.create(
      {
        amount: priced.total.amount,
        currency: priced.currency,
        automatic_payment_methods: { enabled: true },
        receipt_email: priced.email,
        description: `${config.storeName} order ${orderId}`,
        metadata,
        ...(priced.shippingAddress ? { shipping: toStripeShipping(priced.shippingAddress) } : {}),
      },
      { idempotencyKey: paymentIdempotencyKey('pi', orderId, priced) },
    );
  } catch (error) {
    throw providerFailure(context, orderId, error, 'PaymentIntent');
  }

  try {
    writeTransaction(db, () => {
      attachPaymentRefs(db, orderId, { paymentIntentId: intent.id });
      recordPayment(db, {
        orderId,
        providerRef: intent.id,
        kind: 'payment_intent',
        status: intent.status,
        amount: intent.amount,
        currency: intent.currency,
      });
    });
  } catch (error) {
    // The intent exists at Stripe but the order does not know it: cancel it so nobody can pay
    // an order the store cannot see, then fail as usual.
    await stripe.paymentIntents.cancel(intent.id).catch(() => undefined);
    closeUnpaidOrder(context, orderId, 'failed');
    throw error;
  }

  context.logger.child({ area: 'checkout' }).info(
    {
      orderId,
      total: priced.total.amount,
      currency: priced.currency,
      fulfillmentType: priced.fulfillmentType,
    },
    'checkout started',
  );
  return {
    orderId,
    orderKey,
    clientSecret: intent.client_secret ?? '',
    total: priced.total,
    publishableKey: config.stripe.publishableKey,
  };
}

/**
 * `POST /api/checkout/session`: the same order, paid on Stripe's hosted Checkout page. The
 * line items carry OUR prices (`price_data`), so no Price objects need to exist at Stripe.
 */
export async function startHostedCheckout(
  context: AppContext,
  request: CheckoutRequest,
): Promise<CheckoutSessionResponse> {
  const { config, db } = context;
  const stripe = requireStripe(config);
  const expiresAt = orderExpiry(context, CHECKOUT_SESSION_MIN_TTL_MS, CHECKOUT_SESSION_MAX_TTL_MS);
  const { priced, orderId, orderKey, metadata } = await openPendingOrder(
    context,
    stripe,
    request,
    expiresAt,
  );
  const lineItems: Stripe.Checkout.SessionCreateParams.LineItem[] = priced.lines.map((line) => ({
    quantity: line.quantity,
    price_data: {
      currency: priced.currency,
      unit_amount: line.unitAmount,
      product_data: { name: line.name, metadata: { product_id: line.productId } },
    },
  }));
  if (priced.shipping && priced.shipping.amount > 0) {
    lineItems.push({
      quantity: 1,
      price_data: {
        currency: priced.currency,
        unit_amount: priced.shipping.amount,
        product_data: { name: priced.shipping.name },
      },
    });
  }

  let session: Stripe.Checkout.Session;
  try {
    session = await stripe.checkout.sessions.create(
      {
        mode: 'payment',
        line_items: lineItems,
        customer_email: priced.email,
        client_reference_id: orderId,
        // NOTE: the order key rides in the fragment of the return URL, as in every email link.
        // Stripe stores this URL with the session; the key only opens this one order.
        success_url: orderPageUrl(config, orderId, orderKey),
        cancel_url: `${config.publicUrl}/cart/`,
        expires_at: Math.floor(expiresAt.getTime() / 1000),
        metadata,
        payment_intent_data: {
          metadata,
          receipt_email: priced.email,
          description: `${config.storeName} order ${orderId}`,
          ...(priced.shippingAddress ? { shipping: toStripeShipping(priced.shippingAddress) } : {}),
        },
      },
      { idempotencyKey: paymentIdempotencyKey('cs', orderId, priced) },
    );
  } catch (error) {
    throw providerFailure(context, orderId, error, 'Checkout Session');
  }
  if (!session.url) {
    await stripe.checkout.sessions.expire(session.id).catch(() => undefined);
    throw providerFailure(
      context,
      orderId,
      new Error('the Checkout Session has no url'),
      'Checkout Session',
    );
  }

  writeTransaction(db, () => {
    attachPaymentRefs(db, orderId, { checkoutSessionId: session.id });
    recordPayment(db, {
      orderId,
      providerRef: session.id,
      kind: 'checkout_session',
      status: `${session.status ?? 'open'}/${session.payment_status}`,
      amount: session.amount_total ?? priced.total.amount,
      currency: session.currency ?? priced.currency,
    });
  });

  context.logger
    .child({ area: 'checkout' })
    .info(
      { orderId, total: priced.total.amount, currency: priced.currency, mode: 'hosted' },
      'hosted checkout started',
    );
  return { orderId, orderKey, url: session.url, total: priced.total };
}
