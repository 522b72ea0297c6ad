import {
  formatMoney,
  type OrderStatus as Status,
  type OrderView,
  type Shipment,
} from '@vitrine/shared';
import { useCallback, useEffect, useRef, useState, type FormEvent } from 'react';
import { ApiError, getOrder, requestOrderLinks } from '../lib/api';
import { $cart, cartFingerprint, clearCart } from '../lib/cart';
import {
  forgetCheckout,
  parseOrderLocation,
  recallCheckout,
  recallOrderKey,
  rememberOrderKey,
} from '../lib/order-keys';

const STATUS_TEXT: Record<Status, string> = {
  pending: 'Waiting for the payment to be confirmed…',
  paid: 'Paid. Your order is being prepared…',
  fulfilled: 'Complete. Thank you for your order.',
  failed: 'The payment did not go through, and you have not been charged.',
  canceled: 'This order was canceled.',
  refunded: 'This order was refunded. Its downloads are closed.',
  disputed: 'The payment for this order is disputed. Its downloads are closed while that is open.',
  needs_review:
    'Your payment arrived, and the shop is checking it by hand. You will get an email once it is done.',
};

const SHIPMENT_TEXT: Record<Shipment['status'], string> = {
  pending: 'Being prepared',
  packed: 'Packed',
  shipped: 'Shipped',
  delivered: 'Delivered',
  returned: 'Returned',
};

/** Poll quickly while Stripe confirms the payment, then back off; stop after this long. */
const POLL_FAST_MS = 1500;
const POLL_SLOW_MS = 10_000;
const POLL_GIVE_UP_MS = 10 * 60_000;

function isSettled(order: OrderView): boolean {
  if (order.status === 'pending' || order.status === 'paid') return false;
  // A paid digital order is settled once its downloads exist.
  return true;
}

function formatDate(iso: string): string {
  const date = new Date(iso);
  return Number.isNaN(date.getTime())
    ? iso
    : new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' }).format(date);
}

/** Lost the link? The server emails the order links to the address, if it has orders. */
function OrderLinkRequest() {
  const [email, setEmail] = useState('');
  const [state, setState] = useState<'idle' | 'sending' | 'sent' | 'failed'>('idle');
  const [message, setMessage] = useState<string | null>(null);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setState('sending');
    try {
      await requestOrderLinks(email);
      setState('sent');
    } catch (error) {
      setState('failed');
      setMessage(
        error instanceof ApiError
          ? error.message
          : 'The request could not be sent. Try again in a moment.',
      );
    }
  };

  if (state === 'sent') {
    return (
      <p role="status">
        If this address has orders with the shop, their links are on the way by email.
      </p>
    );
  }
  return (
    <form className="order-lookup" onSubmit={submit}>
      <label className="field">
        Email the links to my orders
        <input
          type="email"
          required
          autoComplete="email"
          value={email}
          onChange={(e) => setEmail(e.target.value)}
        />
      </label>
      {state === 'failed' && message ? (
        <p className="form-error" role="alert">
          {message}
        </p>
      ) : null}
      <button type="submit" className="button" disabled={state === 'sending'}>
        {state === 'sending' ? 'Sending…' : 'Send the links'}
      </button>
    </form>
  );
}

/**
 * The order page. It reads the order id from `?id=` and the key from `#key=` (or from this
 * browser's storage), then polls the order until the payment has settled: status, items,
 * download buttons with their expiry and remaining count, and shipment tracking.
 */
export default function OrderStatus() {
  const [order, setOrder] = useState<OrderView | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const [redirectFailed, setRedirectFailed] = useState(false);
  const [refreshing, setRefreshing] = useState(false);
  const credentials = useRef<{ orderId: string; key: string } | null>(null);
  const startedAt = useRef(Date.now());

  const load = useCallback(async (signal?: AbortSignal) => {
    const creds = credentials.current;
    if (!creds) return null;
    try {
      const view = await getOrder(creds.orderId, creds.key, signal);
      setOrder(view);
      setProblem(null);
      return view;
    } catch (error) {
      if ((error as Error).name === 'AbortError') return null;
      if (
        error instanceof ApiError &&
        (error.status === 401 || error.status === 403 || error.status === 404)
      ) {
        setProblem(
          'This order could not be found with the key this page has. Open the link from your receipt email.',
        );
        return 'stop' as const;
      }
      setProblem('The order could not be loaded just now. This page tries again by itself.');
      return null;
    }
  }, []);

  useEffect(() => {
    const { orderId, key: fragmentKey } = parseOrderLocation(
      window.location.search,
      window.location.hash,
    );
    setRedirectFailed(
      new URLSearchParams(window.location.search).get('redirect_status') === 'failed',
    );
    // Stripe's redirect adds the PaymentIntent's client secret to the address; keep it out of
    // bookmarks and shared links once read.
    const cleaned = new URL(window.location.href);
    for (const name of ['payment_intent', 'payment_intent_client_secret', 'redirect_status']) {
      cleaned.searchParams.delete(name);
    }
    if (cleaned.href !== window.location.href) window.history.replaceState(null, '', cleaned.href);
    if (!orderId) {
      setProblem('This address does not name an order. Open the link from your receipt email.');
      return;
    }
    if (fragmentKey) rememberOrderKey(orderId, fragmentKey);
    const key = fragmentKey ?? recallOrderKey(orderId);
    if (!key) {
      setProblem(
        'This browser does not hold the key for this order. Open the link from your receipt email, or use the browser you ordered with.',
      );
      return;
    }
    credentials.current = { orderId, key };

    const controller = new AbortController();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const tick = async () => {
      const result = await load(controller.signal);
      if (controller.signal.aborted || result === 'stop') return;
      if (result && isSettled(result)) return;
      const elapsed = Date.now() - startedAt.current;
      if (elapsed > POLL_GIVE_UP_MS) return;
      timer = setTimeout(tick, elapsed < 60_000 ? POLL_FAST_MS : POLL_SLOW_MS);
    };
    void tick();

    return () => {
      controller.abort();
      clearTimeout(timer);
    };
  }, [load]);

  // The cart that was sent to this order is emptied once the order is paid, unless it changed since.
  useEffect(() => {
    if (!order || (order.status !== 'paid' && order.status !== 'fulfilled')) return;
    const last = recallCheckout();
    if (last?.orderId === order.orderId) {
      if (cartFingerprint($cart.get()) === last.fingerprint) clearCart();
      forgetCheckout();
    }
  }, [order]);

  const refresh = async () => {
    setRefreshing(true);
    await load();
    setRefreshing(false);
  };

  if (!order) {
    return (
      <div className="order" data-status={problem ? 'unavailable' : 'loading'}>
        {problem ? (
          <>
            <p className="form-error" role="alert">
              {problem}
            </p>
            <OrderLinkRequest />
          </>
        ) : (
          <p role="status">Loading your order…</p>
        )}
      </div>
    );
  }

  return (
    <div className="order" data-status={order.status} data-order-id={order.orderId}>
      <p className={`order-status status-${order.status}`} role="status" aria-live="polite">
        {STATUS_TEXT[order.status]}
      </p>
      {redirectFailed && order.status === 'pending' ? (
        <p className="form-error" role="alert">
          Your bank or card did not approve the payment.{' '}
          <a href="/checkout/">Go back to the checkout</a> to try again.
        </p>
      ) : null}
      {problem ? <p className="form-notice">{problem}</p> : null}

      <section aria-labelledby="items-heading">
        <h2 id="items-heading">Items</h2>
        <ul className="summary-lines">
          {order.items.map((item, index) => (
            <li key={`${item.productId ?? item.kind}-${index}`}>
              <span>
                {item.name}
                {item.quantity > 1 ? ` × ${item.quantity}` : ''}
              </span>
              <span>{formatMoney(item.total)}</span>
            </li>
          ))}
        </ul>
        <p className="summary-total">
          Total: <strong>{formatMoney(order.total)}</strong>
        </p>
      </section>

      {order.downloads.length > 0 ? (
        <section aria-labelledby="downloads-heading" className="downloads">
          <h2 id="downloads-heading">Downloads</h2>
          <ul>
            {order.downloads.map((download) => (
              <li
                key={download.productId}
                className="download"
                data-product-id={download.productId}
              >
                {download.remaining > 0 && !download.revoked ? (
                  <a className="button primary" href={download.url} download rel="noreferrer">
                    Download {download.name}
                  </a>
                ) : (
                  <span className="button disabled" aria-disabled="true">
                    {download.name}: {download.revoked ? 'closed' : 'no downloads left'}
                  </span>
                )}
                <span className="muted">
                  {download.remaining} {download.remaining === 1 ? 'download' : 'downloads'} left ·
                  link valid until {formatDate(download.expiresAt)}
                </span>
              </li>
            ))}
          </ul>
        </section>
      ) : null}

      {order.shipments.length > 0 ? (
        <section aria-labelledby="shipping-heading" className="shipments">
          <h2 id="shipping-heading">Shipping</h2>
          {order.shipments.map((shipment) => (
            <div key={shipment.id} className="shipment" data-shipment-status={shipment.status}>
              <p>
                <strong>{SHIPMENT_TEXT[shipment.status]}</strong> · updated{' '}
                {formatDate(shipment.updatedAt)}
              </p>
              {shipment.carrier || shipment.trackingNumber ? (
                <p>
                  {shipment.carrier ?? 'Carrier'}
                  {shipment.trackingNumber ? `, tracking number ${shipment.trackingNumber}` : ''}
                  {shipment.trackingUrl ? (
                    <>
                      {' '}
                      <a href={shipment.trackingUrl} rel="noopener noreferrer" target="_blank">
                        Track the parcel
                      </a>
                    </>
                  ) : null}
                </p>
              ) : null}
            </div>
          ))}
        </section>
      ) : null}

      <p>
        <button type="button" className="link-button" onClick={refresh} disabled={refreshing}>
          {refreshing ? 'Refreshing…' : 'Refresh'}
        </button>
        <span className="muted">
          {' '}
          Bookmark this page to come back to your downloads; the key stays in this browser.
        </span>
      </p>
    </div>
  );
}
