import express from 'express';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig, type Config } from '../../src/config.js';
import {
  STRIPE_API_VERSION,
  apiBaseOptions,
  constructWebhookEvent,
  fromCharge,
  fromCheckoutSession,
  getStripe,
  requireStripe,
  toOrderPayment,
} from '../../src/payments/stripe.js';
import { parseStripeForm, startStripeFake, type StripeFake } from '../helpers/stripe-fake.js';

function configFor(fake: StripeFake | null, extra: Record<string, string> = {}): Config {
  return loadConfig({
    NODE_ENV: 'test',
    ADMIN_TOKEN: 'test-admin-token-0123456789abcdef',
    DOWNLOAD_TOKEN_SECRET: 'download-secret-for-tests-0123456789abcdef',
    ...(fake
      ? {
          STRIPE_SECRET_KEY: 'sk_test_vitrine',
          STRIPE_PUBLISHABLE_KEY: 'pk_test_vitrine',
          STRIPE_WEBHOOK_SECRET: fake.webhookSecret,
          STRIPE_API_BASE: fake.url,
        }
      : {}),
    ...extra,
  });
}

describe('apiBaseOptions()', () => {
  it('splits STRIPE_API_BASE into the host, port and protocol the SDK takes', () => {
    expect(apiBaseOptions('http://127.0.0.1:12111')).toEqual({
      host: '127.0.0.1',
      port: '12111',
      protocol: 'http',
    });
    expect(apiBaseOptions('https://stripe.internal')).toEqual({
      host: 'stripe.internal',
      port: 443,
      protocol: 'https',
    });
  });
});

describe('getStripe()', () => {
  let fake: StripeFake;
  beforeAll(async () => {
    fake = await startStripeFake();
  });
  afterAll(() => fake.close());

  it('returns null without STRIPE_SECRET_KEY', () => {
    expect(getStripe(configFor(null))).toBeNull();
  });

  it('requireStripe() explains which keys are missing', () => {
    expect(() => requireStripe(configFor(null))).toThrow(
      /STRIPE_SECRET_KEY and STRIPE_PUBLISHABLE_KEY/,
    );
  });

  it('talks to STRIPE_API_BASE with the pinned API version and no telemetry', async () => {
    const stripe = getStripe(configFor(fake))!;

    const intent = await stripe.paymentIntents.create({
      amount: 1234,
      currency: 'eur',
      metadata: { order_id: 'ord_1' },
    });

    const [request] = fake.requestsTo('POST', '/v1/payment_intents');
    expect(request?.headers['stripe-version']).toBe(STRIPE_API_VERSION);
    expect(request?.headers['authorization']).toBe('Bearer sk_test_vitrine');
    expect(request?.headers['x-stripe-client-telemetry']).toBeUndefined();
    expect(request?.params).toMatchObject({
      amount: '1234',
      currency: 'eur',
      metadata: { order_id: 'ord_1' },
    });
    expect(intent).toMatchObject({
      object: 'payment_intent',
      amount: 1234,
      currency: 'eur',
      status: 'requires_payment_method',
    });
    expect(intent.client_secret).toMatch(new RegExp(`^${intent.id}_secret_`));

    // The SDK reports the previous request's latency on the next one unless telemetry is off.
    await stripe.paymentIntents.retrieve(intent.id);
    const next = fake.requestsTo('GET', `/v1/payment_intents/${intent.id}`).at(-1);
    expect(next?.headers['x-stripe-client-telemetry']).toBeUndefined();
  });

  it('returns the same client for the same configuration', () => {
    const config = configFor(fake);

    expect(getStripe(config)).toBe(getStripe(config));
  });
});

describe('Stripe API fake', () => {
  let fake: StripeFake;
  let stripe: Stripe;
  beforeAll(async () => {
    fake = await startStripeFake();
    stripe = getStripe(configFor(fake))!;
  });
  afterAll(() => fake.close());

  it('parses nested form parameters into objects and arrays', () => {
    expect(parseStripeForm('a[b][0][c]=1&a[b][1][c]=2&x=y&m[k]=v')).toEqual({
      a: { b: [{ c: '1' }, { c: '2' }] },
      x: 'y',
      m: { k: 'v' },
    });
  });

  it('replays the first answer for the same idempotency key and parameters', async () => {
    const first = await stripe.paymentIntents.create(
      { amount: 500, currency: 'usd' },
      { idempotencyKey: 'same-key' },
    );
    const second = await stripe.paymentIntents.create(
      { amount: 500, currency: 'usd' },
      { idempotencyKey: 'same-key' },
    );

    expect(second.id).toBe(first.id);
    expect(fake.requestsTo('POST', '/v1/payment_intents').at(-1)?.replayed).toBe(true);
  });

  it('refuses the same idempotency key with other parameters, like Stripe', async () => {
    await stripe.paymentIntents.create(
      { amount: 700, currency: 'usd' },
      { idempotencyKey: 'key-2' },
    );

    const error = await stripe.paymentIntents
      .create({ amount: 800, currency: 'usd' }, { idempotencyKey: 'key-2' })
      .catch((e: unknown) => e);

    expect(error).toBeInstanceOf(Stripe.errors.StripeIdempotencyError);
  });

  it('refuses an unknown secret key with 401', async () => {
    const other = new Stripe('sk_live_nope', { ...apiBaseOptions(fake.url), maxNetworkRetries: 0 });

    const error = await other.paymentIntents
      .create({ amount: 500, currency: 'usd' })
      .catch((e: unknown) => e);

    expect(error).toBeInstanceOf(Stripe.errors.StripeAuthenticationError);
  });

  it('confirms from a browser with the publishable key and client secret, with CORS headers', async () => {
    const intent = await stripe.paymentIntents.create({ amount: 900, currency: 'usd' });

    const wrong = await fetch(`${fake.url}/v1/payment_intents/${intent.id}/confirm`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ key: 'pk_test_x', client_secret: 'nope' }),
    });
    const res = await fetch(`${fake.url}/v1/payment_intents/${intent.id}/confirm`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        key: 'pk_test_x',
        client_secret: intent.client_secret!,
        payment_method: 'pm_card_visa',
      }),
    });

    expect(wrong.status).toBe(400);
    expect(res.status).toBe(200);
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
    expect(((await res.json()) as { status: string }).status).toBe('succeeded');
    expect((await stripe.paymentIntents.retrieve(intent.id)).amount_received).toBe(900);
  });

  it('answers a declined card with 402 and leaves the intent payable', async () => {
    const intent = await stripe.paymentIntents.create({ amount: 900, currency: 'usd' });

    const error = await stripe.paymentIntents
      .confirm(intent.id, { payment_method: 'pm_card_chargeDeclined' })
      .catch((e: unknown) => e);

    expect(error).toBeInstanceOf(Stripe.errors.StripeCardError);
    const after = await stripe.paymentIntents.retrieve(intent.id);
    expect(toOrderPayment(after).status).toBe('failed');
  });

  it('refunds the charge of a succeeded intent and marks it refunded', async () => {
    const intent = await stripe.paymentIntents.create({ amount: 1500, currency: 'usd' });
    await fake.confirm(intent.id, 'succeeded');

    const refund = await stripe.refunds.create({ payment_intent: intent.id });

    expect(refund).toMatchObject({ amount: 1500, status: 'succeeded' });
    const charge = await stripe.charges.retrieve(String(refund.charge));
    expect(fromCharge(charge)).toMatchObject({
      paymentIntentId: intent.id,
      amountRefunded: 1500,
      fullyRefunded: true,
    });
  });

  it('creates Checkout Sessions priced from the given line items', async () => {
    const session = await stripe.checkout.sessions.create({
      mode: 'payment',
      success_url: 'http://127.0.0.1/done',
      line_items: [
        {
          quantity: 2,
          price_data: { currency: 'eur', unit_amount: 1000, product_data: { name: 'Box' } },
        },
        {
          quantity: 1,
          price_data: { currency: 'eur', unit_amount: 500, product_data: { name: 'Shipping' } },
        },
      ],
      metadata: { order_id: 'ord_2' },
    });

    expect(session).toMatchObject({
      amount_total: 2500,
      currency: 'eur',
      status: 'open',
      payment_status: 'unpaid',
    });
    expect(session.url).toContain(fake.url);
    const completed = await fake.completeCheckoutSession(session.id, { paymentStatus: 'unpaid' });
    expect(fromCheckoutSession(completed)).toMatchObject({
      status: 'processing',
      orderId: 'ord_2',
      amount: 2500,
    });
    const settled = await fake.settleCheckoutSession(session.id, 'succeeded');
    expect(fromCheckoutSession(settled).status).toBe('succeeded');
  });

  it('refuses a Checkout Session expiry outside 30 minutes to 24 hours, like Stripe', async () => {
    const create = (seconds: number) =>
      stripe.checkout.sessions.create({
        mode: 'payment',
        success_url: 'http://127.0.0.1/done',
        line_items: [
          {
            quantity: 1,
            price_data: { currency: 'eur', unit_amount: 900, product_data: { name: 'Box' } },
          },
        ],
        expires_at: Math.floor(Date.now() / 1000) + seconds,
      });

    await expect(create(29 * 60)).rejects.toMatchObject({ param: 'expires_at', statusCode: 400 });
    await expect(create(25 * 3600)).rejects.toMatchObject({ param: 'expires_at', statusCode: 400 });
    await expect(create(23 * 3600)).resolves.toMatchObject({ status: 'open' });
  });

  it('fails the next matching request when told to', async () => {
    fake.failNext({
      path: '/v1/payment_intents',
      status: 400,
      type: 'invalid_request_error',
      message: 'no',
    });

    const error = await stripe.paymentIntents
      .create({ amount: 500, currency: 'usd' })
      .catch((e: unknown) => e);

    expect(error).toBeInstanceOf(Stripe.errors.StripeInvalidRequestError);
  });
});

describe('constructWebhookEvent()', () => {
  let fake: StripeFake;
  let receiver: http.Server;
  let received: { body: unknown; signature: string | undefined }[];
  beforeAll(async () => {
    fake = await startStripeFake();
    received = [];
    const app = express();
    app.post('/raw', express.raw({ type: '*/*' }), (req, res) => {
      received.push({ body: req.body, signature: req.header('stripe-signature') });
      res.sendStatus(200);
    });
    receiver = await new Promise<http.Server>((resolve) => {
      const s = app.listen(0, '127.0.0.1', () => resolve(s));
    });
    fake.webhookUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/raw`;
  });
  afterAll(async () => {
    receiver.closeAllConnections();
    await new Promise((resolve) => receiver.close(resolve));
    await fake.close();
  });

  it('verifies a delivery signed by the fake and returns the event', async () => {
    const config = configFor(fake);
    const delivery = await fake.sendEvent('payment_intent.succeeded', {
      id: 'pi_1',
      object: 'payment_intent',
    });
    const last = received.at(-1)!;

    const event = constructWebhookEvent(config, last.body, last.signature);

    expect(delivery.status).toBe(200);
    expect(event.id).toBe(delivery.event.id);
    expect(event.type).toBe('payment_intent.succeeded');
  });

  it('names the likely mistake when the body was already parsed', async () => {
    const config = configFor(fake);
    await fake.sendEvent('payment_intent.succeeded', { id: 'pi_2', object: 'payment_intent' });
    const last = received.at(-1)!;
    const parsed = JSON.parse((last.body as Buffer).toString('utf8'));

    expect(() => constructWebhookEvent(config, parsed, last.signature)).toThrow(
      /express\.raw\(\) before express\.json\(\)/,
    );
  });

  it("refuses a signature made with another endpoint's secret", async () => {
    const config = configFor(fake);
    await fake.sendEvent(
      'payment_intent.succeeded',
      { id: 'pi_3' },
      { secret: 'whsec_other_endpoint' },
    );
    const last = received.at(-1)!;

    expect(() => constructWebhookEvent(config, last.body, last.signature)).toThrow(
      /does not match/,
    );
  });

  it('refuses a signature older than the tolerance', async () => {
    const config = configFor(fake);
    await fake.sendEvent(
      'payment_intent.succeeded',
      { id: 'pi_4' },
      { timestamp: Math.floor(Date.now() / 1000) - 301 },
    );
    const last = received.at(-1)!;

    expect(() => constructWebhookEvent(config, last.body, last.signature)).toThrow(/too old/);
  });

  it('answers payments_not_configured without a webhook secret', () => {
    const config = configFor(null);

    expect(() => constructWebhookEvent(config, Buffer.from('{}'), 't=1,v1=x')).toThrow(
      /STRIPE_WEBHOOK_SECRET/,
    );
  });
});
