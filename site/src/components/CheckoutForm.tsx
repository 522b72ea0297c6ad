import { useStore } from '@nanostores/react';
import {
  formatMoney,
  type CheckoutResponse,
  type OrderItem,
  type ShippingAddress,
} from '@vitrine/shared';
import { Suspense, lazy, useEffect, useMemo, useRef, useState, type FormEvent } from 'react';
import {
  ApiError,
  createCheckout,
  getCheckoutConfig,
  getOrder,
  type CheckoutConfig,
} from '../lib/api';
import { $cart, cartFingerprint, cartSubtotal, isPhysicalLine, toCheckoutItems } from '../lib/cart';
import { orderPageUrl, rememberCheckout, rememberOrderKey } from '../lib/order-keys';
import { PUBLISHABLE_KEY } from '../lib/stripe';

const PaymentStep = lazy(() => import('./PaymentStep'));

export interface CheckoutFormProps {
  /** ISO 3166-1 alpha-2 codes the shop ships to (from the catalog export). */
  shippingCountries?: string[];
  cartHref?: string;
}

type AddressFields = Required<Omit<ShippingAddress, 'line2' | 'state'>> & {
  line2: string;
  state: string;
};

const EMPTY_ADDRESS: AddressFields = {
  name: '',
  line1: '',
  line2: '',
  city: '',
  state: '',
  postalCode: '',
  country: '',
};

interface Opened {
  checkout: CheckoutResponse;
  fingerprint: string;
  items: OrderItem[] | null;
}

/** Turns an API error from POST /api/checkout into a sentence for the shopper. */
export function describeCheckoutError(error: unknown): string {
  if (!(error instanceof ApiError)) {
    return 'The checkout could not be started. Try again in a moment.';
  }
  switch (error.code) {
    case 'payments_not_configured':
      return 'This shop cannot take payments yet: its owner still has to add Stripe keys (test keys are enough to try it: STRIPE_SECRET_KEY and STRIPE_PUBLISHABLE_KEY) and restart the server; the storefront rebuilds itself.';
    case 'network_error':
    case 'out_of_stock':
    case 'shipping_unavailable':
    case 'invalid_request':
    case 'amount_too_small':
    case 'not_found':
    case 'rate_limited':
      return error.message;
    default:
      return error.status >= 500
        ? 'The shop could not start the payment just now. Your card has not been charged. Try again in a moment.'
        : error.message;
  }
}

function countryName(code: string): string {
  try {
    return new Intl.DisplayNames([navigator.language || 'en'], { type: 'region' }).of(code) ?? code;
  } catch {
    return code;
  }
}

/**
 * Checkout in two steps: contact and shipping details, then the Stripe Payment Element for a
 * PaymentIntent the server created from the cart's product ids and quantities. The server's
 * total is the one shown and charged; if the cart changes, the open payment is dropped and the
 * next step asks the server again.
 */
export default function CheckoutForm({
  shippingCountries = [],
  cartHref = '/cart/',
}: CheckoutFormProps) {
  const lines = useStore($cart);
  const fingerprint = cartFingerprint(lines);
  const needsAddress = lines.some(isPhysicalLine);
  const [email, setEmail] = useState('');
  const [address, setAddress] = useState<AddressFields>(() => ({
    ...EMPTY_ADDRESS,
    country: shippingCountries.length === 1 ? (shippingCountries[0] ?? '') : '',
  }));
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [opened, setOpened] = useState<Opened | null>(null);
  const abortRef = useRef<AbortController | null>(null);
  // The last order this page opened: the next checkout call names it in `replaces`, so the
  // server cancels it instead of leaving a payment open at an old amount.
  const previousRef = useRef<{ orderId: string; orderKey: string } | null>(null);
  const [payments, setPayments] = useState<CheckoutConfig | null>(null);
  const countries = useMemo(
    () =>
      shippingCountries
        .map((code) => ({ code, name: countryName(code) }))
        .sort((a, b) => a.name.localeCompare(b.name)),
    [shippingCountries],
  );

  // A cart changed in this or another tab invalidates the open PaymentIntent's amount.
  useEffect(() => {
    if (opened && opened.fingerprint !== fingerprint) {
      setOpened(null);
      setNotice('Your cart changed, so the payment was reset. Continue to see the new total.');
    }
  }, [fingerprint, opened]);

  useEffect(() => () => abortRef.current?.abort(), []);

  useEffect(() => {
    const controller = new AbortController();
    getCheckoutConfig(controller.signal).then(setPayments, () => {
      // Unknown: the checkout call itself will say whether payments work.
    });
    return () => controller.abort();
  }, []);

  if (lines.length === 0 && !opened) {
    return (
      <div className="checkout-empty" data-ready="true">
        <p>Your cart is empty, so there is nothing to pay for.</p>
        <a className="button" href="/">
          Browse the catalog
        </a>
      </div>
    );
  }

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    abortRef.current?.abort();
    const controller = new AbortController();
    abortRef.current = controller;
    setBusy(true);
    setError(null);
    setNotice(null);
    const shippingAddress: ShippingAddress | undefined = needsAddress
      ? {
          name: address.name,
          line1: address.line1,
          ...(address.line2.trim() ? { line2: address.line2 } : {}),
          city: address.city,
          ...(address.state.trim() ? { state: address.state } : {}),
          postalCode: address.postalCode,
          country: address.country,
        }
      : undefined;
    try {
      const replaces = previousRef.current;
      const checkout = await createCheckout(
        {
          items: toCheckoutItems(lines),
          email,
          ...(shippingAddress ? { shippingAddress } : {}),
          ...(replaces ? { replaces } : {}),
        },
        controller.signal,
      );
      previousRef.current = { orderId: checkout.orderId, orderKey: checkout.orderKey };
      rememberOrderKey(checkout.orderId, checkout.orderKey);
      rememberCheckout(checkout.orderId, fingerprint);
      let items: OrderItem[] | null = null;
      try {
        items = (await getOrder(checkout.orderId, checkout.orderKey, controller.signal)).items;
      } catch {
        // The breakdown is a courtesy; the server's total below is what counts.
      }
      setOpened({ checkout, fingerprint, items });
    } catch (caught) {
      if ((caught as Error).name === 'AbortError') return;
      setError(describeCheckoutError(caught));
    } finally {
      setBusy(false);
    }
  };

  const field = (name: keyof AddressFields) => ({
    value: address[name],
    onChange: (event: { target: { value: string } }) =>
      setAddress((current) => ({ ...current, [name]: event.target.value })),
  });
  const estimate = cartSubtotal(lines);
  const paymentsOff = payments ? !payments.enabled : !PUBLISHABLE_KEY;

  if (opened) {
    const { checkout } = opened;
    // The order key stays out of return_url: Stripe would store it with the payment. This
    // browser keeps it in localStorage, which the order page reads.
    const returnUrl = new URL(orderPageUrl(checkout.orderId), window.location.href).toString();
    const publishableKey = checkout.publishableKey || payments?.publishableKey || PUBLISHABLE_KEY;
    return (
      <div className="checkout" data-step="payment" data-order-id={checkout.orderId}>
        <section aria-labelledby="summary-heading">
          <h2 id="summary-heading">Your order</h2>
          {opened.items ? (
            <ul className="summary-lines">
              {opened.items.map((item, index) => (
                <li key={`${item.productId ?? item.kind}-${index}`}>
                  <span>
                    {item.name}
                    {item.quantity > 1 ? ` × ${item.quantity}` : ''}
                  </span>
                  <span>{formatMoney(item.total)}</span>
                </li>
              ))}
            </ul>
          ) : null}
          <p className="summary-total">
            Total: <strong data-testid="server-total">{formatMoney(checkout.total)}</strong>
          </p>
          <button type="button" className="link-button" onClick={() => setOpened(null)}>
            Change your details
          </button>
        </section>
        <section aria-labelledby="payment-heading">
          <h2 id="payment-heading">Payment</h2>
          {publishableKey ? (
            <Suspense fallback={<p role="status">Loading the payment form…</p>}>
              <PaymentStep
                key={checkout.clientSecret}
                clientSecret={checkout.clientSecret}
                publishableKey={publishableKey}
                total={checkout.total}
                returnUrl={returnUrl}
              />
            </Suspense>
          ) : (
            <p className="form-error" role="alert">
              {describeCheckoutError(new ApiError('payments_not_configured', 503, ''))}
            </p>
          )}
        </section>
      </div>
    );
  }

  return (
    <form className="checkout" data-step="details" data-ready="true" onSubmit={submit}>
      {notice ? (
        <p className="form-notice" role="status">
          {notice}
        </p>
      ) : null}
      {paymentsOff ? (
        <p className="form-notice" role="note">
          Payments are not set up on this shop yet: its owner needs to add Stripe test keys
          (STRIPE_SECRET_KEY and STRIPE_PUBLISHABLE_KEY) and restart the server; the storefront
          rebuilds itself.
        </p>
      ) : null}
      <p>
        {lines.length} {lines.length === 1 ? 'product' : 'products'}, about{' '}
        {estimate ? formatMoney(estimate) : '—'} before shipping.{' '}
        <a href={cartHref}>Edit the cart</a>
      </p>
      <label className="field">
        Email for the receipt and download links
        <input
          type="email"
          name="email"
          autoComplete="email"
          required
          value={email}
          onChange={(e) => setEmail(e.target.value)}
        />
      </label>
      {needsAddress ? (
        <fieldset className="address">
          <legend>Shipping address</legend>
          <label className="field">
            Full name
            <input name="name" autoComplete="shipping name" required {...field('name')} />
          </label>
          <label className="field">
            Address line 1
            <input
              name="line1"
              autoComplete="shipping address-line1"
              required
              {...field('line1')}
            />
          </label>
          <label className="field">
            Address line 2 (optional)
            <input name="line2" autoComplete="shipping address-line2" {...field('line2')} />
          </label>
          <label className="field">
            City
            <input name="city" autoComplete="shipping address-level2" required {...field('city')} />
          </label>
          <label className="field">
            State, province or region (optional)
            <input name="state" autoComplete="shipping address-level1" {...field('state')} />
          </label>
          <label className="field">
            Postal code
            <input
              name="postalCode"
              autoComplete="shipping postal-code"
              required
              {...field('postalCode')}
            />
          </label>
          <label className="field">
            Country
            {countries.length > 0 ? (
              <select name="country" autoComplete="shipping country" required {...field('country')}>
                <option value="">Choose a country</option>
                {countries.map((country) => (
                  <option key={country.code} value={country.code}>
                    {country.name}
                  </option>
                ))}
              </select>
            ) : (
              <input
                name="country"
                autoComplete="shipping country"
                required
                pattern="[A-Za-z]{2}"
                title="Two-letter country code, such as DE"
                {...field('country')}
              />
            )}
          </label>
        </fieldset>
      ) : null}
      {error ? (
        <p className="form-error" role="alert">
          {error}
        </p>
      ) : null}
      <button type="submit" className="button primary" disabled={busy || paymentsOff}>
        {busy ? 'Preparing the payment…' : 'Continue to payment'}
      </button>
    </form>
  );
}
