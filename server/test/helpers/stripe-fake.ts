import crypto from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import Stripe from 'stripe';

/**
 * A Stripe API fake for tests: a real HTTP server on 127.0.0.1 that the official SDK talks to
 * through STRIPE_API_BASE, and that a browser (through a Stripe.js stand-in) can confirm
 * PaymentIntents against. It speaks the form-encoded v1 API (`a[b][0][c]=v` nesting), checks
 * the API key, honours Idempotency-Key like Stripe (same key and params replay the first answer,
 * same key and other params are a 400), records every request so tests can assert the params
 * the server sent, and delivers signed webhook events to `webhookUrl`.
 *
 * It covers the slice of the API Vitrine uses: PaymentIntents (create, retrieve, update,
 * confirm, cancel, list), Refunds, Charges (retrieve), Checkout Sessions (create, retrieve,
 * list, expire, line items) plus a tiny hosted payment page. Objects carry the fields Stripe
 * returns for them (see shared/fixtures/stripe/objects.json), without depending on that file.
 */

export type ConfirmOutcome = 'succeeded' | 'failed' | 'processing' | 'requires_action';

export interface RecordedRequest {
  method: string;
  /** Path without the query string, e.g. `/v1/payment_intents`. */
  path: string;
  /** Form body or query, parsed into nested objects and arrays; values stay strings. */
  params: Record<string, any>;
  /** Lower-case header names. */
  headers: Record<string, string>;
  idempotencyKey: string | undefined;
  /** The key used: a secret key from the SDK, or a publishable key from the browser. */
  apiKey: string | undefined;
  status: number;
  /** Idempotent-Replayed: the answer came from an earlier request with the same key. */
  replayed: boolean;
}

export interface WebhookDelivery {
  event: Stripe.Event;
  status: number;
  body: string;
  /** Set when the delivery failed before an answer (server down, connection reset). */
  error?: string;
}

export interface FailureRule {
  method?: string;
  /** Exact path or a pattern, e.g. `/v1/payment_intents` or `/^\/v1\/refunds/`. */
  path: string | RegExp;
  status?: number;
  type?: string;
  code?: string;
  message?: string;
  /** How many matching requests fail (SDK retries count). Default 1. */
  times?: number;
  /** Drop the connection instead of answering. */
  destroy?: boolean;
}

export interface StripeFakeOptions {
  webhookUrl?: string;
  webhookSecret?: string;
  /** Accept only this secret key; default: any `sk_test_…` or `rk_test_…`. */
  secretKey?: string;
  /** Accept only this publishable key for browser calls; default: any `pk_test_…`. */
  publishableKey?: string;
  /** Send webhooks for state changes (confirm, cancel, refund…). Default true when a URL is set. */
  autoWebhooks?: boolean;
}

export interface SendOptions {
  /** Sign with this secret instead of the fake's. */
  secret?: string;
  /** Send this Stripe-Signature header as is (or omit the header with null). */
  signature?: string | null;
  /** Signature timestamp in seconds; defaults to now. */
  timestamp?: number;
  /** Deliver somewhere else than `webhookUrl`. */
  url?: string;
}

export interface StripeFake {
  url: string;
  /** Where signed events go; settable after the app under test has a port. */
  webhookUrl: string | undefined;
  webhookSecret: string;
  autoWebhooks: boolean;
  requests: RecordedRequest[];
  paymentIntents: Map<string, Stripe.PaymentIntent>;
  checkoutSessions: Map<string, Stripe.Checkout.Session>;
  charges: Map<string, Stripe.Charge>;
  refunds: Map<string, Stripe.Refund>;
  events: Stripe.Event[];
  deliveries: WebhookDelivery[];
  /** Requests matching a method and path (string = exact or prefix ending in `/`, or RegExp). */
  requestsTo(method: string, path: string | RegExp): RecordedRequest[];
  /**
   * Moves an intent to an outcome as a shopper's payment would, and (unless `webhook: false`
   * or no URL) delivers the matching signed event before resolving.
   */
  confirm(
    id: string,
    outcome?: ConfirmOutcome,
    options?: { webhook?: boolean },
  ): Promise<Stripe.PaymentIntent>;
  /** Completes a hosted Checkout Session: `paid` (cards) or `unpaid` (delayed methods). */
  completeCheckoutSession(
    id: string,
    options?: { paymentStatus?: 'paid' | 'unpaid'; webhook?: boolean },
  ): Promise<Stripe.Checkout.Session>;
  /** A delayed payment behind a completed session settles or fails. */
  settleCheckoutSession(
    id: string,
    outcome: 'succeeded' | 'failed',
    options?: { webhook?: boolean },
  ): Promise<Stripe.Checkout.Session>;
  expireCheckoutSession(
    id: string,
    options?: { webhook?: boolean },
  ): Promise<Stripe.Checkout.Session>;
  /** Opens a dispute on the intent's charge and sends `charge.dispute.created`. */
  dispute(
    paymentIntentId: string,
    options?: { reason?: string; webhook?: boolean },
  ): Promise<Stripe.Dispute>;
  /** Builds an event envelope around an object (recorded in `events`). */
  buildEvent(type: string, object: object, previousAttributes?: object): Stripe.Event;
  /** Signs and posts an event to the webhook URL; resolves with the delivery. */
  deliver(event: Stripe.Event, options?: SendOptions): Promise<WebhookDelivery>;
  /** `buildEvent` + `deliver`. */
  sendEvent(type: string, object: object, options?: SendOptions): Promise<WebhookDelivery>;
  /** The signed payload and header exactly as `deliver` would send them. */
  sign(
    event: Stripe.Event,
    options?: Omit<SendOptions, 'url'>,
  ): { payload: string; header: string };
  /** Makes the next matching request(s) fail like Stripe would. */
  failNext(rule: FailureRule): void;
  close(): Promise<void>;
}

const API_VERSION = '2026-11-18.endive';

/** Stripe-like random id, e.g. `pi_3Qx…` (24 base62 characters). */
function stripeId(prefix: string, length = 24): string {
  const alphabet = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
  const bytes = crypto.randomBytes(length);
  let out = '';
  for (const byte of bytes) out += alphabet[byte % alphabet.length];
  return `${prefix}_${out}`;
}

function unixNow(): number {
  return Math.floor(Date.now() / 1000);
}

/**
 * Parses `a[b][0][c]=v&x=y` into nested objects; objects whose keys are all indexes become
 * arrays, as Stripe's API reads them.
 */
export function parseStripeForm(body: string): Record<string, any> {
  const root: Record<string, any> = {};
  const search = new URLSearchParams(body);
  for (const [fullKey, value] of search) {
    const match = /^([^[\]]+)((?:\[[^[\]]*\])*)$/.exec(fullKey);
    if (!match) {
      root[fullKey] = value;
      continue;
    }
    const parts = [match[1]!, ...[...match[2]!.matchAll(/\[([^[\]]*)\]/g)].map((m) => m[1]!)];
    let node: Record<string, any> = root;
    for (let i = 0; i < parts.length - 1; i++) {
      const part = parts[i]!;
      if (typeof node[part] !== 'object' || node[part] === null) node[part] = {};
      node = node[part];
    }
    node[parts[parts.length - 1]!] = value;
  }
  return arrayify(root);
}

function arrayify(value: any): any {
  if (typeof value !== 'object' || value === null) return value;
  const keys = Object.keys(value);
  for (const key of keys) value[key] = arrayify(value[key]);
  if (keys.length > 0 && keys.every((k) => /^\d+$/.test(k))) {
    return keys.sort((a, b) => Number(a) - Number(b)).map((k) => value[k]);
  }
  return value;
}

class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly body: Record<string, unknown>,
  ) {
    super(String(body.message));
  }
}

function invalid(message: string, param?: string, code = 'parameter_invalid'): ApiError {
  return new ApiError(400, {
    type: 'invalid_request_error',
    code,
    message,
    ...(param ? { param } : {}),
  });
}

function missing(param: string): ApiError {
  return new ApiError(400, {
    type: 'invalid_request_error',
    code: 'parameter_missing',
    param,
    message: `Missing required param: ${param}.`,
  });
}

function notFound(kind: string, id: string, param = 'id'): ApiError {
  return new ApiError(404, {
    type: 'invalid_request_error',
    code: 'resource_missing',
    param,
    message: `No such ${kind}: '${id}'`,
  });
}

function toInt(value: unknown, param: string): number {
  if (typeof value !== 'string' || !/^\d+$/.test(value))
    throw invalid(`Invalid integer: ${String(value)}`, param);
  return Number(value);
}

/** Stripe treats an empty string as "unset" in metadata updates. */
function mergeMetadata(current: Record<string, string>, update: unknown): Record<string, string> {
  if (update === '') return {};
  if (typeof update !== 'object' || update === null) return current;
  const next = { ...current };
  for (const [key, value] of Object.entries(update as Record<string, string>)) {
    if (value === '') delete next[key];
    else next[key] = String(value);
  }
  return next;
}

function checkMetadataLimits(metadata: unknown): void {
  if (metadata === undefined || metadata === '') return;
  if (typeof metadata !== 'object' || metadata === null)
    throw invalid('Invalid object', 'metadata');
  const entries = Object.entries(metadata as Record<string, unknown>);
  if (entries.length > 50)
    throw invalid('You can only specify up to 50 metadata keys.', 'metadata');
  for (const [key, value] of entries) {
    if (key.length > 40)
      throw invalid(
        `Metadata keys must be at most 40 characters long, but '${key}' is longer.`,
        'metadata',
      );
    if (typeof value === 'string' && value.length > 500) {
      throw invalid(
        `Metadata values can have up to 500 characters, but you passed in a value that is ${value.length} characters.`,
        `metadata[${key}]`,
      );
    }
  }
}

function toShipping(raw: any): Stripe.PaymentIntent.Shipping | null {
  if (!raw || typeof raw !== 'object') return null;
  const address = raw.address ?? {};
  if (!raw.name) throw missing('shipping[name]');
  if (!address.line1) throw missing('shipping[address][line1]');
  return {
    name: raw.name,
    phone: raw.phone ?? null,
    carrier: raw.carrier ?? null,
    tracking_number: raw.tracking_number ?? null,
    address: {
      line1: address.line1 ?? null,
      line2: address.line2 ?? null,
      city: address.city ?? null,
      state: address.state ?? null,
      postal_code: address.postal_code ?? null,
      country: address.country ?? null,
    },
  } as Stripe.PaymentIntent.Shipping;
}

/** Starts the fake on an ephemeral loopback port. */
export async function startStripeFake(options: StripeFakeOptions = {}): Promise<StripeFake> {
  const paymentIntents = new Map<string, Stripe.PaymentIntent>();
  const checkoutSessions = new Map<string, Stripe.Checkout.Session>();
  const sessionLineItems = new Map<string, Stripe.LineItem[]>();
  const charges = new Map<string, Stripe.Charge>();
  const refunds = new Map<string, Stripe.Refund>();
  const events: Stripe.Event[] = [];
  const deliveries: WebhookDelivery[] = [];
  const requests: RecordedRequest[] = [];
  const failures: (FailureRule & { left: number })[] = [];
  const idempotency = new Map<string, { fingerprint: string; status: number; body: unknown }>();
  let baseUrl = '';

  const fake = {} as StripeFake;

  // --- objects -------------------------------------------------------------------------------

  function createCharge(intent: Stripe.PaymentIntent): Stripe.Charge {
    const charge = {
      id: stripeId('ch'),
      object: 'charge',
      amount: intent.amount,
      amount_captured: intent.amount,
      amount_refunded: 0,
      balance_transaction: stripeId('txn'),
      billing_details: { address: null, email: intent.receipt_email, name: null, phone: null },
      captured: true,
      created: unixNow(),
      currency: intent.currency,
      customer: null,
      description: intent.description,
      disputed: false,
      failure_code: null,
      failure_message: null,
      livemode: false,
      metadata: { ...intent.metadata },
      outcome: {
        network_status: 'approved_by_network',
        reason: null,
        risk_level: 'normal',
        seller_message: 'Payment complete.',
        type: 'authorized',
      },
      paid: true,
      payment_intent: intent.id,
      payment_method: intent.payment_method,
      receipt_email: intent.receipt_email,
      refunded: false,
      shipping: intent.shipping,
      status: 'succeeded',
    } as unknown as Stripe.Charge;
    charges.set(charge.id, charge);
    return charge;
  }

  function createIntent(params: Record<string, any>): Stripe.PaymentIntent {
    if (params.amount === undefined) throw missing('amount');
    if (!params.currency) throw missing('currency');
    const amount = toInt(params.amount, 'amount');
    if (amount < 1) throw invalid('This value must be greater than or equal to 1.', 'amount');
    checkMetadataLimits(params.metadata);
    const id = stripeId('pi');
    const apm = params.automatic_payment_methods;
    const intent = {
      id,
      object: 'payment_intent',
      amount,
      amount_capturable: 0,
      amount_details: { tip: {} },
      amount_received: 0,
      application: null,
      application_fee_amount: null,
      automatic_payment_methods: apm
        ? {
            enabled: apm.enabled === 'true',
            ...(apm.allow_redirects ? { allow_redirects: apm.allow_redirects } : {}),
          }
        : null,
      canceled_at: null,
      cancellation_reason: null,
      capture_method: params.capture_method ?? 'automatic_async',
      client_secret: `${id}_secret_${crypto.randomBytes(12).toString('base64url')}`,
      confirmation_method: params.confirmation_method ?? 'automatic',
      created: unixNow(),
      currency: String(params.currency).toLowerCase(),
      customer: params.customer ?? null,
      description: params.description ?? null,
      last_payment_error: null,
      latest_charge: null,
      livemode: false,
      metadata: mergeMetadata({}, params.metadata),
      next_action: null,
      on_behalf_of: null,
      payment_method: params.payment_method ?? null,
      payment_method_options: {},
      payment_method_types: params.payment_method_types ?? ['card'],
      processing: null,
      receipt_email: params.receipt_email ?? null,
      review: null,
      setup_future_usage: params.setup_future_usage ?? null,
      shipping: toShipping(params.shipping),
      statement_descriptor: params.statement_descriptor ?? null,
      statement_descriptor_suffix: params.statement_descriptor_suffix ?? null,
      status: 'requires_payment_method',
      transfer_data: null,
      transfer_group: null,
    } as unknown as Stripe.PaymentIntent;
    paymentIntents.set(id, intent);
    return intent;
  }

  function getIntent(id: string): Stripe.PaymentIntent {
    const intent = paymentIntents.get(id);
    if (!intent) throw notFound('payment_intent', id, 'intent');
    return intent;
  }

  function unexpectedState(intent: Stripe.PaymentIntent, action: string): ApiError {
    return new ApiError(400, {
      type: 'invalid_request_error',
      code: 'payment_intent_unexpected_state',
      message: `You cannot ${action} this PaymentIntent because it has a status of ${intent.status}.`,
      payment_intent: intent,
    });
  }

  /** Applies an outcome to an intent and returns the event type it causes. */
  function applyOutcome(intent: Stripe.PaymentIntent, outcome: ConfirmOutcome): string {
    const mutable = intent as any;
    if (intent.status === 'succeeded' || intent.status === 'canceled') {
      throw unexpectedState(intent, 'confirm');
    }
    mutable.payment_method ??= stripeId('pm');
    switch (outcome) {
      case 'succeeded': {
        const charge = createCharge(intent);
        mutable.status = 'succeeded';
        mutable.amount_received = intent.amount;
        mutable.latest_charge = charge.id;
        mutable.last_payment_error = null;
        mutable.next_action = null;
        mutable.processing = null;
        return 'payment_intent.succeeded';
      }
      case 'failed':
        mutable.status = 'requires_payment_method';
        mutable.last_payment_error = {
          type: 'card_error',
          code: 'card_declined',
          decline_code: 'generic_decline',
          message: 'Your card was declined.',
          payment_method: { id: intent.payment_method, object: 'payment_method', type: 'card' },
        };
        return 'payment_intent.payment_failed';
      case 'processing':
        mutable.status = 'processing';
        mutable.processing = { type: 'card' };
        return 'payment_intent.processing';
      case 'requires_action':
        mutable.status = 'requires_action';
        mutable.next_action = {
          type: 'redirect_to_url',
          redirect_to_url: { url: `${baseUrl}/3ds/${intent.id}`, return_url: null },
        };
        return 'payment_intent.requires_action';
    }
  }

  /** Test card numbers and payment method ids that choose an outcome, as in Stripe test mode. */
  function outcomeFromParams(params: Record<string, any>): ConfirmOutcome {
    const pm = String(params.payment_method ?? '');
    const card = String(params.payment_method_data?.card?.number ?? '').replace(/\s/g, '');
    const declined = [
      'pm_card_chargeDeclined',
      'pm_card_visa_chargeDeclined',
      'pm_card_chargeDeclinedInsufficientFunds',
    ];
    if (declined.includes(pm) || ['4000000000000002', '4000000000009995'].includes(card))
      return 'failed';
    if (pm === 'pm_card_threeDSecure2Required' || card === '4000000000003220')
      return 'requires_action';
    if (
      params.fake_outcome &&
      ['succeeded', 'failed', 'processing', 'requires_action'].includes(params.fake_outcome)
    ) {
      return params.fake_outcome as ConfirmOutcome;
    }
    return 'succeeded';
  }

  function createSession(params: Record<string, any>): Stripe.Checkout.Session {
    const mode = params.mode;
    if (!mode) throw missing('mode');
    if (mode !== 'payment')
      throw invalid(`The fake only supports mode=payment, got ${mode}.`, 'mode');
    const uiMode = params.ui_mode ?? 'hosted';
    if (uiMode === 'hosted' && !params.success_url) throw missing('success_url');
    const rawItems: any[] = Array.isArray(params.line_items) ? params.line_items : [];
    if (rawItems.length === 0) throw missing('line_items');
    checkMetadataLimits(params.metadata);
    checkMetadataLimits(params.payment_intent_data?.metadata);
    if (params.expires_at !== undefined) {
      const expiresAt = toInt(params.expires_at, 'expires_at');
      // Stripe takes 30 minutes to 24 hours from now (a few seconds of clock skew tolerated).
      if (expiresAt < unixNow() + 30 * 60 - 10 || expiresAt > unixNow() + 24 * 3600 + 10) {
        throw invalid(
          'The `expires_at` timestamp must be between 30 minutes and 24 hours after the Checkout Session is created.',
          'expires_at',
        );
      }
    }

    let currency: string | null = null;
    let total = 0;
    const items: Stripe.LineItem[] = rawItems.map((item, index) => {
      const priceData = item.price_data;
      if (!priceData) throw missing(`line_items[${index}][price_data]`);
      if (!priceData.currency) throw missing(`line_items[${index}][price_data][currency]`);
      const itemCurrency = String(priceData.currency).toLowerCase();
      if (currency && currency !== itemCurrency) {
        throw invalid(
          'Checkout does not support multiple currencies.',
          `line_items[${index}][price_data][currency]`,
        );
      }
      currency = itemCurrency;
      const unit = toInt(priceData.unit_amount, `line_items[${index}][price_data][unit_amount]`);
      const quantity = toInt(item.quantity ?? '1', `line_items[${index}][quantity]`);
      const name = priceData.product_data?.name;
      if (!name) throw missing(`line_items[${index}][price_data][product_data][name]`);
      total += unit * quantity;
      return {
        id: stripeId('li'),
        object: 'item',
        amount_discount: 0,
        amount_subtotal: unit * quantity,
        amount_tax: 0,
        amount_total: unit * quantity,
        currency: itemCurrency,
        description: name,
        quantity,
        price: {
          id: stripeId('price'),
          object: 'price',
          active: false,
          currency: itemCurrency,
          unit_amount: unit,
          product: stripeId('prod'),
          type: 'one_time',
          metadata: {},
        },
      } as unknown as Stripe.LineItem;
    });

    const id = stripeId('cs_test', 58);
    const session = {
      id,
      object: 'checkout.session',
      amount_subtotal: total,
      amount_total: total,
      cancel_url: params.cancel_url ?? null,
      client_reference_id: params.client_reference_id ?? null,
      client_secret:
        uiMode === 'hosted' ? null : `${id}_secret_${crypto.randomBytes(8).toString('hex')}`,
      created: unixNow(),
      currency,
      customer: null,
      customer_details: params.customer_email
        ? {
            email: params.customer_email,
            address: null,
            name: null,
            phone: null,
            tax_exempt: 'none',
            tax_ids: [],
          }
        : null,
      customer_email: params.customer_email ?? null,
      expires_at: params.expires_at ? Number(params.expires_at) : unixNow() + 24 * 3600,
      livemode: false,
      locale: params.locale ?? null,
      metadata: mergeMetadata({}, params.metadata),
      mode,
      payment_intent: null,
      payment_method_types: params.payment_method_types ?? ['card'],
      payment_status: 'unpaid',
      shipping_address_collection: params.shipping_address_collection ?? null,
      collected_information: null,
      status: 'open',
      success_url: params.success_url ?? null,
      ui_mode: uiMode,
      url: uiMode === 'hosted' ? `${baseUrl}/c/pay/${id}` : null,
    } as unknown as Stripe.Checkout.Session;
    // Remember what the intent will carry once the shopper pays.
    (session as any)._payment_intent_data = params.payment_intent_data ?? {};
    checkoutSessions.set(id, session);
    sessionLineItems.set(id, items);
    return session;
  }

  function publicSession(session: Stripe.Checkout.Session): Stripe.Checkout.Session {
    const { _payment_intent_data: _ignored, ...rest } = session as any;
    return rest as Stripe.Checkout.Session;
  }

  function getSession(id: string): Stripe.Checkout.Session {
    const session = checkoutSessions.get(id);
    if (!session) throw notFound('checkout.session', id, 'session');
    return session;
  }

  function createRefund(params: Record<string, any>): {
    refund: Stripe.Refund;
    charge: Stripe.Charge;
  } {
    let charge: Stripe.Charge | undefined;
    if (params.payment_intent) {
      const intent = getIntent(params.payment_intent);
      if (intent.status !== 'succeeded' || !intent.latest_charge) {
        throw invalid(
          `This PaymentIntent (${intent.id}) does not have a successful charge to refund.`,
          'payment_intent',
          'charge_not_refundable',
        );
      }
      charge = charges.get(String(intent.latest_charge));
    } else if (params.charge) {
      charge = charges.get(params.charge);
      if (!charge) throw notFound('charge', params.charge, 'charge');
    } else {
      throw missing('payment_intent');
    }
    if (!charge) throw invalid('No charge to refund.', 'payment_intent');
    const remaining = charge.amount - charge.amount_refunded;
    if (remaining <= 0) {
      throw invalid(
        `Charge ${charge.id} has already been refunded.`,
        'charge',
        'charge_already_refunded',
      );
    }
    const amount = params.amount === undefined ? remaining : toInt(params.amount, 'amount');
    if (amount > remaining) {
      throw invalid(
        `Refund amount (${amount}) is greater than unrefunded amount on charge (${remaining})`,
        'amount',
        'amount_too_large',
      );
    }
    const refund = {
      id: stripeId('re'),
      object: 'refund',
      amount,
      balance_transaction: stripeId('txn'),
      charge: charge.id,
      created: unixNow(),
      currency: charge.currency,
      metadata: mergeMetadata({}, params.metadata),
      payment_intent: charge.payment_intent,
      reason: params.reason ?? null,
      receipt_number: null,
      source_transfer_reversal: null,
      status: 'succeeded',
      transfer_reversal: null,
    } as unknown as Stripe.Refund;
    refunds.set(refund.id, refund);
    const mutable = charge as any;
    mutable.amount_refunded += amount;
    mutable.refunded = mutable.amount_refunded >= charge.amount;
    return { refund, charge };
  }

  // --- events --------------------------------------------------------------------------------

  function buildEvent(
    type: string,
    object: object,
    previousAttributes?: object,
    idempotencyKey?: string,
  ): Stripe.Event {
    const snapshot = JSON.parse(JSON.stringify(object));
    delete snapshot._payment_intent_data;
    const event = {
      id: stripeId('evt'),
      object: 'event',
      api_version: API_VERSION,
      created: unixNow(),
      data: {
        object: snapshot,
        ...(previousAttributes ? { previous_attributes: previousAttributes } : {}),
      },
      livemode: false,
      pending_webhooks: 1,
      request: { id: stripeId('req', 14), idempotency_key: idempotencyKey ?? null },
      type,
    } as unknown as Stripe.Event;
    events.push(event);
    return event;
  }

  function sign(
    event: Stripe.Event,
    sendOptions: Omit<SendOptions, 'url'> = {},
  ): { payload: string; header: string } {
    // Stripe sends pretty-printed JSON: re-serialising a parsed body never gives the same bytes.
    const payload = JSON.stringify(event, null, 2);
    const header =
      sendOptions.signature ??
      Stripe.webhooks.generateTestHeaderString({
        payload,
        secret: sendOptions.secret ?? fake.webhookSecret,
        timestamp: sendOptions.timestamp ?? unixNow(),
      });
    return { payload, header };
  }

  async function deliver(
    event: Stripe.Event,
    sendOptions: SendOptions = {},
  ): Promise<WebhookDelivery> {
    const url = sendOptions.url ?? fake.webhookUrl;
    if (!url)
      throw new Error(
        'stripe-fake deliver(): set webhookUrl (or pass options.url) before sending events',
      );
    const { payload, header } = sign(event, sendOptions);
    const headers: Record<string, string> = {
      'content-type': 'application/json; charset=utf-8',
      'user-agent': 'Stripe/1.0 (+https://stripe.com/docs/webhooks)',
    };
    if (sendOptions.signature !== null) headers['stripe-signature'] = header;
    let delivery: WebhookDelivery;
    try {
      const res = await fetch(url, { method: 'POST', headers, body: payload });
      delivery = { event, status: res.status, body: await res.text() };
    } catch (error) {
      delivery = { event, status: 0, body: '', error: (error as Error).message };
    }
    deliveries.push(delivery);
    return delivery;
  }

  async function emit(
    type: string,
    object: object,
    webhook: boolean | undefined,
    idempotencyKey?: string,
  ): Promise<void> {
    const event = buildEvent(type, object, undefined, idempotencyKey);
    if ((webhook ?? fake.autoWebhooks) && fake.webhookUrl) await deliver(event);
  }

  // --- HTTP ----------------------------------------------------------------------------------

  function authenticate(
    headers: http.IncomingHttpHeaders,
    params: Record<string, any>,
  ): { key: string; publishable: boolean } {
    const bearer = /^Bearer\s+(\S+)$/i.exec(String(headers.authorization ?? ''))?.[1];
    const basic = /^Basic\s+(\S+)$/i.exec(String(headers.authorization ?? ''))?.[1];
    const key =
      bearer ??
      (basic ? Buffer.from(basic, 'base64').toString('utf8').replace(/:$/, '') : undefined) ??
      params.key;
    if (!key) {
      throw new ApiError(401, {
        type: 'invalid_request_error',
        message:
          "You did not provide an API key. You need to provide your API key in the Authorization header, using Bearer auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY').",
      });
    }
    const publishable = key.startsWith('pk_');
    const accepted = publishable
      ? options.publishableKey
        ? key === options.publishableKey
        : key.startsWith('pk_test_')
      : options.secretKey
        ? key === options.secretKey
        : /^(sk|rk)_test_/.test(key);
    if (!accepted) {
      throw new ApiError(401, {
        type: 'invalid_request_error',
        message: `Invalid API Key provided: ${key.slice(0, 8)}${'*'.repeat(Math.max(0, key.length - 12))}${key.slice(-4)}`,
      });
    }
    return { key, publishable };
  }

  /** Publishable-key calls may only touch an intent whose client secret they present. */
  function checkClientSecret(intent: Stripe.PaymentIntent, params: Record<string, any>): void {
    if (params.client_secret !== intent.client_secret) {
      throw new ApiError(400, {
        type: 'invalid_request_error',
        code: 'payment_intent_invalid_parameter',
        message:
          'The client_secret provided does not match the client_secret associated with the PaymentIntent.',
        param: 'client_secret',
      });
    }
  }

  async function route(
    method: string,
    path: string,
    params: Record<string, any>,
    auth: { key: string; publishable: boolean },
    idempotencyKey: string | undefined,
  ): Promise<{ status: number; body: unknown; after?: () => Promise<void> }> {
    const segments = path.split('/').filter(Boolean);
    const [version, resource, id, action] = segments;
    if (version !== 'v1')
      throw new ApiError(404, {
        type: 'invalid_request_error',
        message: `Unrecognized request URL (${method}: ${path}).`,
      });
    const secretOnly = () => {
      if (auth.publishable) {
        throw new ApiError(401, {
          type: 'invalid_request_error',
          message:
            'This API call cannot be made with a publishable API key. Please use a secret API key.',
        });
      }
    };

    if (resource === 'payment_intents') {
      if (!id) {
        secretOnly();
        if (method === 'POST') {
          const intent = createIntent(params);
          return {
            status: 200,
            body: intent,
            after: () => emit('payment_intent.created', intent, false, idempotencyKey),
          };
        }
        const list = [...paymentIntents.values()].reverse();
        return {
          status: 200,
          body: {
            object: 'list',
            data: list.slice(0, Number(params.limit ?? 10)),
            has_more: false,
            url: '/v1/payment_intents',
          },
        };
      }
      const intent = getIntent(id);
      if (auth.publishable) checkClientSecret(intent, params);
      if (method === 'GET' && !action) return { status: 200, body: intent };
      if (method === 'POST' && !action) {
        secretOnly();
        if (
          !['requires_payment_method', 'requires_confirmation', 'requires_action'].includes(
            intent.status,
          )
        ) {
          throw unexpectedState(intent, 'update');
        }
        checkMetadataLimits(params.metadata);
        const mutable = intent as any;
        if (params.amount !== undefined) mutable.amount = toInt(params.amount, 'amount');
        if (params.currency) mutable.currency = String(params.currency).toLowerCase();
        if (params.metadata !== undefined)
          mutable.metadata = mergeMetadata(intent.metadata, params.metadata);
        if (params.receipt_email !== undefined)
          mutable.receipt_email = params.receipt_email || null;
        if (params.description !== undefined) mutable.description = params.description || null;
        if (params.shipping !== undefined)
          mutable.shipping = params.shipping === '' ? null : toShipping(params.shipping);
        return { status: 200, body: intent };
      }
      if (method === 'POST' && action === 'confirm') {
        if (params.payment_method) (intent as any).payment_method = params.payment_method;
        const outcome = outcomeFromParams(params);
        const type = applyOutcome(intent, outcome);
        const after = () => emit(type, intent, undefined, idempotencyKey);
        if (outcome === 'failed') {
          return {
            status: 402,
            body: {
              error: {
                ...(intent.last_payment_error as object),
                payment_intent: JSON.parse(JSON.stringify(intent)),
              },
            },
            after,
          };
        }
        return { status: 200, body: intent, after };
      }
      if (method === 'POST' && action === 'cancel') {
        secretOnly();
        if (
          intent.status === 'succeeded' ||
          intent.status === 'canceled' ||
          intent.status === 'processing'
        ) {
          throw unexpectedState(intent, 'cancel');
        }
        const mutable = intent as any;
        mutable.status = 'canceled';
        mutable.canceled_at = unixNow();
        mutable.cancellation_reason = params.cancellation_reason ?? null;
        return {
          status: 200,
          body: intent,
          after: () => emit('payment_intent.canceled', intent, undefined, idempotencyKey),
        };
      }
    }

    if (resource === 'refunds') {
      secretOnly();
      if (method === 'POST' && !id) {
        const { refund, charge } = createRefund(params);
        return {
          status: 200,
          body: refund,
          after: async () => {
            buildEvent('refund.created', refund, undefined, idempotencyKey);
            await emit('charge.refunded', charge, undefined, idempotencyKey);
          },
        };
      }
      if (method === 'GET' && id) {
        const refund = refunds.get(id);
        if (!refund) throw notFound('refund', id);
        return { status: 200, body: refund };
      }
    }

    if (resource === 'charges' && method === 'GET' && id) {
      secretOnly();
      const charge = charges.get(id);
      if (!charge) throw notFound('charge', id, 'charge');
      return { status: 200, body: charge };
    }

    if (resource === 'checkout' && id === 'sessions') {
      secretOnly();
      const sessionId = action;
      const sub = segments[4];
      if (!sessionId && method === 'POST')
        return { status: 200, body: publicSession(createSession(params)) };
      if (!sessionId && method === 'GET') {
        let list = [...checkoutSessions.values()].reverse();
        if (params.payment_intent)
          list = list.filter((s) => s.payment_intent === params.payment_intent);
        return {
          status: 200,
          body: {
            object: 'list',
            data: list.slice(0, Number(params.limit ?? 10)).map(publicSession),
            has_more: false,
            url: '/v1/checkout/sessions',
          },
        };
      }
      if (sessionId) {
        const session = getSession(sessionId);
        if (method === 'GET' && !sub) return { status: 200, body: publicSession(session) };
        if (method === 'GET' && sub === 'line_items') {
          return {
            status: 200,
            body: {
              object: 'list',
              data: sessionLineItems.get(session.id) ?? [],
              has_more: false,
              url: `/v1/checkout/sessions/${session.id}/line_items`,
            },
          };
        }
        if (method === 'POST' && sub === 'expire') {
          if (session.status !== 'open') {
            throw invalid(
              `Only Checkout Sessions with a status in ["open"] can be expired. This Checkout Session has a status of "${session.status}".`,
              undefined,
              'checkout_session_unexpected_state',
            );
          }
          (session as any).status = 'expired';
          return {
            status: 200,
            body: publicSession(session),
            after: () => emit('checkout.session.expired', session, undefined, idempotencyKey),
          };
        }
      }
    }

    throw new ApiError(404, {
      type: 'invalid_request_error',
      message: `Unrecognized request URL (${method}: ${path}). The Stripe fake does not implement it.`,
    });
  }

  function takeFailure(method: string, path: string): (FailureRule & { left: number }) | undefined {
    const index = failures.findIndex(
      (rule) =>
        (!rule.method || rule.method.toUpperCase() === method) &&
        (typeof rule.path === 'string' ? rule.path === path : rule.path.test(path)),
    );
    if (index === -1) return undefined;
    const rule = failures[index]!;
    rule.left -= 1;
    if (rule.left <= 0) failures.splice(index, 1);
    return rule;
  }

  /** The tiny hosted payment page behind a Checkout Session's `url`, for browser tests. */
  async function hostedPage(
    req: http.IncomingMessage,
    res: http.ServerResponse,
    path: string,
    body: string,
  ): Promise<boolean> {
    const match = /^\/c\/pay\/([^/]+)(?:\/(pay|cancel))?$/.exec(path);
    if (!match) return false;
    const session = checkoutSessions.get(match[1]!);
    if (!session) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('No such Checkout Session');
      return true;
    }
    if (req.method === 'GET' && !match[2]) {
      const items = sessionLineItems.get(session.id) ?? [];
      const rows = items
        .map((i) => `<li>${i.description} × ${i.quantity}: ${i.amount_total} ${i.currency}</li>`)
        .join('');
      res
        .writeHead(200, { 'content-type': 'text/html; charset=utf-8' })
        .end(
          `<!doctype html><title>Stripe fake checkout</title><h1>Pay ${session.amount_total} ${session.currency}</h1><ul>${rows}</ul>` +
            `<form method="post" action="/c/pay/${session.id}/pay"><button name="outcome" value="paid">Pay</button><button name="outcome" value="unpaid">Pay later (bank debit)</button></form>` +
            `<form method="post" action="/c/pay/${session.id}/cancel"><button>Back to the store</button></form>`,
        );
      return true;
    }
    if (req.method === 'POST' && match[2] === 'pay') {
      const outcome = new URLSearchParams(body).get('outcome') === 'unpaid' ? 'unpaid' : 'paid';
      await fake.completeCheckoutSession(session.id, { paymentStatus: outcome });
      const target = String(session.success_url ?? '/').replace(
        '{CHECKOUT_SESSION_ID}',
        session.id,
      );
      res.writeHead(303, { location: target }).end();
      return true;
    }
    if (req.method === 'POST' && match[2] === 'cancel') {
      res.writeHead(303, { location: String(session.cancel_url ?? '/') }).end();
      return true;
    }
    return false;
  }

  const server = http.createServer(async (req, res) => {
    res.setHeader('access-control-allow-origin', '*');
    res.setHeader(
      'access-control-allow-headers',
      'authorization, content-type, stripe-version, idempotency-key, stripe-account',
    );
    res.setHeader('access-control-allow-methods', 'GET, POST, DELETE, OPTIONS');
    if (req.method === 'OPTIONS') {
      res.writeHead(204).end();
      return;
    }
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const rawBody = Buffer.concat(chunks).toString('utf8');
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const method = (req.method ?? 'GET').toUpperCase();
    const path = url.pathname;

    if (await hostedPage(req, res, path, rawBody)) return;

    const params =
      method === 'GET' || method === 'DELETE'
        ? parseStripeForm(url.search.slice(1))
        : parseStripeForm(rawBody);
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(req.headers)) {
      headers[name] = Array.isArray(value) ? value.join(', ') : String(value ?? '');
    }
    const idempotencyKey = headers['idempotency-key'] || undefined;
    const record: RecordedRequest = {
      method,
      path,
      params,
      headers,
      idempotencyKey,
      apiKey: undefined,
      status: 0,
      replayed: false,
    };
    requests.push(record);
    const requestId = stripeId('req', 14);

    const send = (status: number, body: unknown, extra: Record<string, string> = {}) => {
      record.status = status;
      res.writeHead(status, {
        'content-type': 'application/json',
        'request-id': requestId,
        'stripe-version': headers['stripe-version'] || API_VERSION,
        ...(status >= 400 && status < 500 ? { 'stripe-should-retry': 'false' } : {}),
        ...extra,
      });
      res.end(JSON.stringify(body, null, 2));
    };

    const failure = takeFailure(method, path);
    if (failure) {
      if (failure.destroy) {
        record.status = -1;
        req.socket.destroy();
        return;
      }
      const status = failure.status ?? 500;
      send(
        status,
        {
          error: {
            type: failure.type ?? 'api_error',
            code: failure.code,
            message: failure.message ?? 'The Stripe fake was told to fail this request.',
          },
        },
        status >= 500 ? { 'stripe-should-retry': 'true' } : {},
      );
      return;
    }

    let auth: { key: string; publishable: boolean };
    try {
      auth = authenticate(req.headers, params);
    } catch (error) {
      const apiError = error as ApiError;
      send(apiError.status, { error: apiError.body });
      return;
    }
    record.apiKey = auth.key;

    // Idempotency as Stripe does it: keys are scoped to the API key; only POSTs use them.
    const fingerprint = `${method} ${path} ${rawBody}`;
    const scopedKey =
      idempotencyKey && method === 'POST' ? `${auth.key}\u0000${idempotencyKey}` : undefined;
    if (scopedKey) {
      const earlier = idempotency.get(scopedKey);
      if (earlier && earlier.fingerprint !== fingerprint) {
        send(400, {
          error: {
            type: 'idempotency_error',
            message: `Keys for idempotent requests can only be used with the same parameters they were first used with. Try using a key other than '${idempotencyKey}' if you meant to execute a different request.`,
          },
        });
        return;
      }
      if (earlier) {
        record.replayed = true;
        send(earlier.status, earlier.body, {
          'idempotent-replayed': 'true',
          'original-request': requestId,
        });
        return;
      }
    }

    let result: { status: number; body: unknown; after?: () => Promise<void> };
    try {
      result = await route(method, path, params, auth, idempotencyKey);
    } catch (error) {
      if (!(error instanceof ApiError)) {
        send(500, {
          error: { type: 'api_error', message: `Stripe fake crashed: ${(error as Error).message}` },
        });
        return;
      }
      result = { status: error.status, body: { error: error.body } };
    }
    // Snapshot now: later state changes must not alter what a replay returns.
    const snapshot = JSON.parse(JSON.stringify(result.body));
    if (snapshot && typeof snapshot === 'object') delete snapshot._payment_intent_data;
    if (scopedKey && result.status < 500)
      idempotency.set(scopedKey, { fingerprint, status: result.status, body: snapshot });
    send(result.status, snapshot);
    // Webhooks go out after the answer, as Stripe's do.
    if (result.after) void result.after().catch(() => undefined);
  });

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  // --- test controls -------------------------------------------------------------------------

  Object.assign(fake, {
    url: baseUrl,
    webhookUrl: options.webhookUrl,
    webhookSecret: options.webhookSecret ?? `whsec_fake${crypto.randomBytes(16).toString('hex')}`,
    autoWebhooks: options.autoWebhooks ?? true,
    requests,
    paymentIntents,
    checkoutSessions,
    charges,
    refunds,
    events,
    deliveries,
    requestsTo(method: string, path: string | RegExp) {
      return requests.filter(
        (r) =>
          r.method === method.toUpperCase() &&
          (typeof path === 'string'
            ? r.path === path || (path.endsWith('/') && r.path.startsWith(path))
            : path.test(r.path)),
      );
    },
    async confirm(
      id: string,
      outcome: ConfirmOutcome = 'succeeded',
      confirmOptions: { webhook?: boolean } = {},
    ) {
      const intent = getIntent(id);
      const type = applyOutcome(intent, outcome);
      await emit(type, intent, confirmOptions.webhook);
      return intent;
    },
    async completeCheckoutSession(
      id: string,
      completeOptions: { paymentStatus?: 'paid' | 'unpaid'; webhook?: boolean } = {},
    ) {
      const session = getSession(id);
      if (session.status !== 'open')
        throw new Error(`stripe-fake: session ${id} is ${session.status}, not open`);
      const paid = (completeOptions.paymentStatus ?? 'paid') === 'paid';
      const data = (session as any)._payment_intent_data ?? {};
      const intent = createIntent({
        amount: String(session.amount_total),
        currency: session.currency,
        metadata: data.metadata ?? {},
        receipt_email: data.receipt_email ?? session.customer_email ?? undefined,
        shipping: data.shipping,
        description: data.description,
      });
      applyOutcome(intent, paid ? 'succeeded' : 'processing');
      const mutable = session as any;
      mutable.status = 'complete';
      mutable.payment_status = paid ? 'paid' : 'unpaid';
      mutable.payment_intent = intent.id;
      await emit('checkout.session.completed', session, completeOptions.webhook);
      return publicSession(session);
    },
    async settleCheckoutSession(
      id: string,
      outcome: 'succeeded' | 'failed',
      settleOptions: { webhook?: boolean } = {},
    ) {
      const session = getSession(id);
      const intent = getIntent(String(session.payment_intent));
      const mutable = session as any;
      if (outcome === 'succeeded') {
        (intent as any).status = 'requires_confirmation';
        applyOutcome(intent, 'succeeded');
        mutable.payment_status = 'paid';
        await emit('checkout.session.async_payment_succeeded', session, settleOptions.webhook);
      } else {
        (intent as any).status = 'requires_confirmation';
        applyOutcome(intent, 'failed');
        await emit('checkout.session.async_payment_failed', session, settleOptions.webhook);
      }
      return publicSession(session);
    },
    async expireCheckoutSession(id: string, expireOptions: { webhook?: boolean } = {}) {
      const session = getSession(id);
      (session as any).status = 'expired';
      await emit('checkout.session.expired', session, expireOptions.webhook);
      return publicSession(session);
    },
    async dispute(
      paymentIntentId: string,
      disputeOptions: { reason?: string; webhook?: boolean } = {},
    ) {
      const intent = getIntent(paymentIntentId);
      const charge = charges.get(String(intent.latest_charge));
      if (!charge)
        throw new Error(
          `stripe-fake dispute(): ${paymentIntentId} has no charge (confirm it first)`,
        );
      (charge as any).disputed = true;
      const dispute = {
        id: stripeId('dp'),
        object: 'dispute',
        amount: charge.amount,
        balance_transactions: [],
        charge: charge.id,
        created: unixNow(),
        currency: charge.currency,
        evidence_details: {
          due_by: unixNow() + 7 * 86400,
          has_evidence: false,
          past_due: false,
          submission_count: 0,
        },
        is_charge_refundable: false,
        livemode: false,
        metadata: {},
        payment_intent: intent.id,
        reason: disputeOptions.reason ?? 'fraudulent',
        status: 'needs_response',
      } as unknown as Stripe.Dispute;
      await emit('charge.dispute.created', dispute, disputeOptions.webhook);
      return dispute;
    },
    buildEvent: (type: string, object: object, previousAttributes?: object) =>
      buildEvent(type, object, previousAttributes),
    deliver,
    sendEvent: (type: string, object: object, sendOptions?: SendOptions) =>
      deliver(buildEvent(type, object), sendOptions),
    sign,
    failNext(rule: FailureRule) {
      failures.push({ ...rule, left: rule.times ?? 1 });
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  });
  return fake;
}
