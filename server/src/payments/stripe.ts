import Stripe from 'stripe';
import { VitrineError, type Money, type ShippingAddress } from '@vitrine/shared';
import type { Config } from '../config.js';

/**
 * The one place the Stripe SDK is configured. Everything else imports `getStripe` and the
 * converters below, so Stripe's own types stop at this folder's edge.
 *
 * The API version is pinned here and only here: objects and webhook events follow the version
 * the request names, so a dashboard upgrade cannot change what the server parses.
 * @see https://docs.stripe.com/api/versioning
 */
export const STRIPE_API_VERSION = '2026-11-18.endive' as const satisfies Stripe.LatestApiVersion;

/** Seconds a webhook signature stays valid; Stripe's default, named so tests can reason about it. */
export const WEBHOOK_TOLERANCE_SECONDS = 300;

export type { Stripe };

const clients = new WeakMap<Config, Stripe>();

/**
 * The SDK client for this configuration, or null when STRIPE_SECRET_KEY is not set (the store
 * then runs without checkout). `STRIPE_API_BASE` (for example `http://127.0.0.1:12111`) points
 * the SDK at another host, which is how tests talk to the Stripe API fake.
 */
export function getStripe(config: Config): Stripe | null {
  const key = config.stripe.secretKey;
  if (!key) return null;
  const cached = clients.get(config);
  if (cached) return cached;

  const options: Stripe.StripeConfig = {
    apiVersion: STRIPE_API_VERSION,
    // The SDK retries connection errors, 409 and 5xx with the same idempotency key, so a retry
    // can never charge twice; two retries ride out a blip without keeping the shopper waiting.
    maxNetworkRetries: 2,
    timeout: 20_000,
    telemetry: false,
    appInfo: { name: 'Vitrine' },
  };
  if (config.stripe.apiBase) Object.assign(options, apiBaseOptions(config.stripe.apiBase));

  const client = new Stripe(key, options);
  clients.set(config, client);
  return client;
}

/** Like {@link getStripe}, but throws the 503 checkout answers when no keys are configured. */
export function requireStripe(config: Config): Stripe {
  const stripe = getStripe(config);
  if (!stripe || !config.stripe.publishableKey) {
    throw new VitrineError(
      'payments_not_configured',
      'Checkout is not available because this store has no Stripe keys. The owner needs to set STRIPE_SECRET_KEY and STRIPE_PUBLISHABLE_KEY (Stripe test keys, sk_test_… and pk_test_…) and restart the server; the README explains where to find them.',
    );
  }
  return stripe;
}

/** Splits STRIPE_API_BASE into the SDK's host, port and protocol options. */
export function apiBaseOptions(
  apiBase: string,
): Pick<Stripe.StripeConfig, 'host' | 'port' | 'protocol'> {
  const url = new URL(apiBase);
  const protocol = url.protocol === 'http:' ? 'http' : 'https';
  return {
    host: url.hostname,
    port: url.port || (protocol === 'http' ? 80 : 443),
    protocol,
  };
}

/**
 * Verifies a webhook delivery and returns the event. `rawBody` must be the exact bytes Stripe
 * sent: a body that a JSON parser already turned into an object can never verify, so that
 * mistake gets its own message (for the log; the HTTP answer carries no details).
 * @see https://docs.stripe.com/webhooks#verify-official-libraries
 */
export function constructWebhookEvent(
  config: Config,
  rawBody: unknown,
  signature: string | string[] | undefined,
): Stripe.Event {
  const secret = config.stripe.webhookSecret;
  if (!secret) {
    throw new VitrineError(
      'payments_not_configured',
      'Webhooks are not accepted because STRIPE_WEBHOOK_SECRET is not set. Set it to the signing secret (whsec_…) of this endpoint in the Stripe dashboard or from `stripe listen`.',
    );
  }
  if (!Buffer.isBuffer(rawBody)) {
    const kind = rawBody === null ? 'null' : typeof rawBody;
    throw new VitrineError(
      'invalid_signature',
      `The webhook body reached the handler as ${kind}, not as raw bytes, so its signature cannot be checked. A JSON parser most likely ran first; mount the webhook route with express.raw() before express.json().`,
    );
  }
  if (typeof signature !== 'string' || signature === '') {
    throw new VitrineError(
      'invalid_signature',
      'The webhook request has no Stripe-Signature header.',
    );
  }
  try {
    return Stripe.webhooks.constructEvent(rawBody, signature, secret, WEBHOOK_TOLERANCE_SECONDS);
  } catch (error) {
    throw new VitrineError(
      'invalid_signature',
      "The webhook signature does not match this endpoint's secret, or it is too old.",
      {
        cause: error,
      },
    );
  }
}

/** How a PaymentIntent, a Checkout Session or a charge looks to the order code. */
export interface PaymentFacts {
  /** `payment_intent` or `checkout_session`: which Stripe object `ref` names. */
  kind: 'payment_intent' | 'checkout_session';
  ref: string;
  /** The PaymentIntent behind it, when known (a Checkout Session gets one once paid for). */
  paymentIntentId: string | null;
  orderId: string | null;
  /** Vitrine's reading of the Stripe status. */
  status: 'succeeded' | 'processing' | 'failed' | 'canceled' | 'requires_action' | 'open';
  /** The amount charged (received) when succeeded, else the amount asked for. */
  amount: number;
  currency: string;
  /** The raw Stripe status, kept for the payments table and the log. */
  providerStatus: string;
}

/** Converts a PaymentIntent to {@link PaymentFacts}. */
export function toOrderPayment(intent: Stripe.PaymentIntent): PaymentFacts {
  const status: PaymentFacts['status'] =
    intent.status === 'succeeded'
      ? 'succeeded'
      : intent.status === 'processing'
        ? 'processing'
        : intent.status === 'canceled'
          ? 'canceled'
          : intent.status === 'requires_payment_method' && intent.last_payment_error
            ? 'failed'
            : intent.status === 'requires_action'
              ? 'requires_action'
              : 'open';
  return {
    kind: 'payment_intent',
    ref: intent.id,
    paymentIntentId: intent.id,
    orderId: intent.metadata?.order_id ?? null,
    status,
    amount: intent.status === 'succeeded' ? intent.amount_received : intent.amount,
    currency: intent.currency,
    providerStatus: intent.status,
  };
}

/**
 * Converts a Checkout Session. `payment_status` decides: `paid` (or `no_payment_required`) is
 * a success; `unpaid` on a complete session means a delayed method (SEPA, bank debits) is still
 * on its way and the order must wait for `checkout.session.async_payment_succeeded`.
 */
export function fromCheckoutSession(session: Stripe.Checkout.Session): PaymentFacts {
  const paid =
    session.payment_status === 'paid' || session.payment_status === 'no_payment_required';
  const status: PaymentFacts['status'] =
    session.status === 'expired'
      ? 'canceled'
      : paid
        ? 'succeeded'
        : session.status === 'complete'
          ? 'processing'
          : 'open';
  const intent = session.payment_intent;
  return {
    kind: 'checkout_session',
    ref: session.id,
    paymentIntentId: typeof intent === 'string' ? intent : (intent?.id ?? null),
    orderId: session.metadata?.order_id ?? session.client_reference_id ?? null,
    status,
    amount: session.amount_total ?? 0,
    currency: session.currency ?? '',
    providerStatus: `${session.status ?? 'unknown'}/${session.payment_status}`,
  };
}

/** What a refund or dispute event says about the charge behind it. */
export interface ChargeFacts {
  chargeId: string;
  paymentIntentId: string | null;
  orderId: string | null;
  amount: number;
  amountRefunded: number;
  currency: string;
  fullyRefunded: boolean;
}

export function fromCharge(charge: Stripe.Charge): ChargeFacts {
  const intent = charge.payment_intent;
  return {
    chargeId: charge.id,
    paymentIntentId: typeof intent === 'string' ? intent : (intent?.id ?? null),
    orderId: charge.metadata?.order_id ?? null,
    amount: charge.amount,
    amountRefunded: charge.amount_refunded,
    currency: charge.currency,
    fullyRefunded: charge.refunded || charge.amount_refunded >= charge.amount,
  };
}

export interface DisputeFacts {
  disputeId: string;
  chargeId: string | null;
  paymentIntentId: string | null;
  amount: number;
  currency: string;
  reason: string;
  /** Stripe's dispute status, e.g. `needs_response`, `warning_needs_response`. */
  status: string;
}

export function fromDispute(dispute: Stripe.Dispute): DisputeFacts {
  const charge = dispute.charge;
  const intent = dispute.payment_intent;
  return {
    disputeId: dispute.id,
    chargeId: typeof charge === 'string' ? charge : (charge?.id ?? null),
    paymentIntentId: typeof intent === 'string' ? intent : (intent?.id ?? null),
    amount: dispute.amount,
    currency: dispute.currency,
    reason: dispute.reason,
    status: dispute.status,
  };
}

/** Our shipping address in the shape PaymentIntents and Checkout take. */
export function toStripeShipping(address: ShippingAddress): {
  name: string;
  address: {
    line1: string;
    line2?: string;
    city: string;
    state?: string;
    postal_code: string;
    country: string;
  };
} {
  return {
    name: address.name,
    address: {
      line1: address.line1,
      line2: address.line2 || undefined,
      city: address.city,
      state: address.state || undefined,
      postal_code: address.postalCode,
      country: address.country,
    },
  };
}

/** True when Stripe's amount and currency are exactly the order's. */
export function matchesTotal(facts: { amount: number; currency: string }, total: Money): boolean {
  return facts.amount === total.amount && facts.currency.toLowerCase() === total.currency;
}

/** A short, safe description of an SDK error for logs and for 502 messages. */
export function describeStripeError(error: unknown): {
  type: string;
  code?: string;
  message: string;
  requestId?: string;
} {
  if (error instanceof Stripe.errors.StripeError) {
    return {
      type: error.type,
      code: error.code,
      message: error.message,
      requestId: error.requestId,
    };
  }
  return { type: 'unknown', message: error instanceof Error ? error.message : String(error) };
}
