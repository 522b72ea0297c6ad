import { useCallback, useEffect, useState, type FormEvent } from 'react';
import type { OrderDownload, Shipment, ShipmentStatus, ShipmentUpdate } from '@vitrine/shared';
import type { AdminOrderDetail, Problem } from '../../common/bridge.js';
import { ConfirmDialog } from '../components/confirm-dialog.js';
import { ProblemView } from '../components/problem-view.js';
import { asProblem, call, useAction, vitrine } from '../lib/bridge.js';
import { dateTime, money } from '../lib/format.js';

const REFUNDABLE = new Set(['paid', 'fulfilled']);

/** Which moves the owner may make from a shipment status. */
export const NEXT_SHIPMENT_STATUS: Record<ShipmentStatus, ShipmentStatus[]> = {
  pending: ['packed', 'shipped'],
  packed: ['shipped'],
  shipped: ['delivered', 'returned'],
  delivered: ['returned'],
  returned: [],
};

/** One order: lines, payments, download grants, shipments, and the owner's actions on them. */
export function OrderDetailView({
  orderId,
  onChanged,
}: {
  orderId: string;
  onChanged: (order: AdminOrderDetail) => void;
}) {
  const [order, setOrder] = useState<AdminOrderDetail | null>(null);
  const [problem, setProblem] = useState<Problem | null>(null);
  const [confirmRefund, setConfirmRefund] = useState(false);

  const load = useCallback(async () => {
    try {
      setOrder(await call(vitrine().ordersGet(orderId)));
      setProblem(null);
    } catch (error) {
      setProblem(asProblem(error, 'Loading the order'));
    }
  }, [orderId]);

  useEffect(() => {
    void load();
  }, [load]);

  const apply = (next: AdminOrderDetail) => {
    setOrder(next);
    onChanged(next);
  };

  const refund = useAction('Refunding the order', async () => {
    apply(await call(vitrine().ordersRefund(orderId)));
    setConfirmRefund(false);
  });

  if (problem && !order) {
    return (
      <>
        <ProblemView problem={problem} />
        <button type="button" onClick={() => void load()}>
          Try again
        </button>
      </>
    );
  }
  if (!order) return <p className="muted">Loading…</p>;

  return (
    <div className="order" data-testid="order-detail" data-status={order.status}>
      <h1>
        Order <code>{order.orderId}</code>{' '}
        <span className={`pill status-${order.status}`} data-testid="order-status">
          {order.status}
        </span>
      </h1>
      <dl className="facts">
        <div className="fact">
          <dt>Customer</dt>
          <dd>{order.email}</dd>
        </div>
        <div className="fact">
          <dt>Total</dt>
          <dd>{money(order.total)}</dd>
        </div>
        <div className="fact">
          <dt>Placed</dt>
          <dd>{dateTime(order.createdAt)}</dd>
        </div>
        {order.paidAt && (
          <div className="fact">
            <dt>Paid</dt>
            <dd>{dateTime(order.paidAt)}</dd>
          </div>
        )}
      </dl>
      {order.attention && (
        <p className="note" role="note" data-testid="order-attention">
          Needs your attention: {order.attention}
        </p>
      )}
      {order.shippingAddress && <Address address={order.shippingAddress} />}

      <h2>Items</h2>
      <table>
        <thead>
          <tr>
            <th>Item</th>
            <th>Type</th>
            <th>Qty</th>
            <th>Unit</th>
            <th>Total</th>
          </tr>
        </thead>
        <tbody>
          {order.items.map((item, index) => (
            <tr key={index}>
              <td>{item.name}</td>
              <td>{item.kind === 'shipping' ? 'shipping' : (item.productType ?? '—')}</td>
              <td>{item.quantity}</td>
              <td>{money(item.unitPrice)}</td>
              <td>{money(item.total)}</td>
            </tr>
          ))}
        </tbody>
      </table>

      <h2>Payments</h2>
      {order.payments.length === 0 ? (
        <p className="muted">No payment recorded.</p>
      ) : (
        <table>
          <thead>
            <tr>
              <th>Kind</th>
              <th>Status</th>
              <th>Amount</th>
              <th>Reference</th>
              <th>When</th>
            </tr>
          </thead>
          <tbody>
            {order.payments.map((payment, index) => (
              <tr key={payment.id ?? index}>
                <td>{payment.kind}</td>
                <td>{payment.status}</td>
                <td>{money({ amount: payment.amount, currency: payment.currency })}</td>
                <td>
                  <code>{payment.providerRef ?? '—'}</code>
                </td>
                <td>{dateTime(payment.createdAt)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {REFUNDABLE.has(order.status) && (
        <div className="actions">
          <button type="button" className="danger" onClick={() => setConfirmRefund(true)}>
            Refund…
          </button>
        </div>
      )}

      {order.downloads.length > 0 && (
        <>
          <h2>Downloads</h2>
          <table data-testid="downloads">
            <thead>
              <tr>
                <th>Product</th>
                <th>Left</th>
                <th>Expires</th>
                <th>State</th>
                <th />
              </tr>
            </thead>
            <tbody>
              {order.downloads.map((download, index) => (
                <GrantRow
                  key={download.grantId ?? index}
                  orderId={order.orderId}
                  grant={download}
                  onOrder={apply}
                />
              ))}
            </tbody>
          </table>
        </>
      )}

      {order.shipments.length > 0 && (
        <>
          <h2>Shipment</h2>
          {order.shipments.map((shipment) => (
            <ShipmentPanel
              key={shipment.id}
              orderId={order.orderId}
              shipment={shipment}
              onOrder={apply}
            />
          ))}
        </>
      )}

      {confirmRefund && (
        <ConfirmDialog
          title="Refund this order?"
          confirmLabel={`Refund ${money(order.total)}`}
          danger
          busy={refund.busy}
          onConfirm={() => void refund.run()}
          onCancel={() => {
            refund.clear();
            setConfirmRefund(false);
          }}
        >
          <p>
            Stripe returns the whole payment to {order.email}. Download links stop working and the
            customer is told by email. This cannot be undone.
          </p>
          {refund.problem && <ProblemView problem={refund.problem} />}
        </ConfirmDialog>
      )}
    </div>
  );
}

function Address({ address }: { address: Record<string, string | undefined> }) {
  const lines = [
    address.name,
    address.line1,
    address.line2,
    [address.postalCode, address.city].filter(Boolean).join(' '),
    address.state,
    address.country,
  ].filter(Boolean);
  return (
    <address className="address">
      {lines.map((line, index) => (
        <span key={index}>{line}</span>
      ))}
    </address>
  );
}

function GrantRow({
  orderId,
  grant,
  onOrder,
}: {
  orderId: string;
  grant: OrderDownload;
  onOrder: (order: AdminOrderDetail) => void;
}) {
  const [extending, setExtending] = useState(false);
  const [confirmRevoke, setConfirmRevoke] = useState(false);
  const [days, setDays] = useState('7');
  const [downloads, setDownloads] = useState('0');
  const grantId = grant.grantId;

  const revoke = useAction('Revoking the download', async () => {
    if (!grantId) return;
    onOrder(await call(vitrine().grantsRevoke(orderId, grantId)));
    setConfirmRevoke(false);
  });
  const extend = useAction('Extending the download', async () => {
    if (!grantId) return;
    const extension: { days?: number; downloads?: number } = {};
    if (Number(days) > 0) extension.days = Math.floor(Number(days));
    if (Number(downloads) > 0) extension.downloads = Math.floor(Number(downloads));
    onOrder(await call(vitrine().grantsExtend(orderId, grantId, extension)));
    setExtending(false);
  });

  const submit = (event: FormEvent) => {
    event.preventDefault();
    void extend.run();
  };

  return (
    <>
      <tr data-grant-id={grantId}>
        <td>{grant.name}</td>
        <td>{grant.remaining}</td>
        <td>{dateTime(grant.expiresAt)}</td>
        <td>{grant.revoked ? 'revoked' : 'active'}</td>
        <td>
          <span className="row-actions">
            {grantId && !grant.revoked && (
              <>
                <button type="button" onClick={() => setExtending((open) => !open)}>
                  Extend…
                </button>
                <button type="button" className="danger" onClick={() => setConfirmRevoke(true)}>
                  Revoke…
                </button>
              </>
            )}
          </span>
        </td>
      </tr>
      {(extending || extend.problem || revoke.problem) && (
        <tr>
          <td colSpan={5}>
            {extending && (
              <form className="inline-form" onSubmit={submit} aria-label="Extend download">
                <label>
                  More days
                  <input
                    name="days"
                    inputMode="numeric"
                    value={days}
                    onChange={(e) => setDays(e.target.value)}
                  />
                </label>
                <label>
                  More downloads
                  <input
                    name="downloads"
                    inputMode="numeric"
                    value={downloads}
                    onChange={(e) => setDownloads(e.target.value)}
                  />
                </label>
                <button type="submit" className="primary" disabled={extend.busy}>
                  Extend
                </button>
              </form>
            )}
            {extend.problem && <ProblemView problem={extend.problem} />}
            {revoke.problem && !confirmRevoke && <ProblemView problem={revoke.problem} />}
          </td>
        </tr>
      )}
      {confirmRevoke && (
        <ConfirmDialog
          title={`Revoke the download of ${grant.name}?`}
          confirmLabel="Revoke"
          danger
          busy={revoke.busy}
          onConfirm={() => void revoke.run()}
          onCancel={() => {
            revoke.clear();
            setConfirmRevoke(false);
          }}
        >
          <p>The customer's download link stops working at once.</p>
          {revoke.problem && <ProblemView problem={revoke.problem} />}
        </ConfirmDialog>
      )}
    </>
  );
}

function ShipmentPanel({
  orderId,
  shipment,
  onOrder,
}: {
  orderId: string;
  shipment: Shipment;
  onOrder: (order: AdminOrderDetail) => void;
}) {
  const [carrier, setCarrier] = useState(shipment.carrier ?? '');
  const [tracking, setTracking] = useState(shipment.trackingNumber ?? '');
  const [shipping, setShipping] = useState(false);

  const move = useAction('Updating the shipment', async (update: ShipmentUpdate) => {
    onOrder(await call(vitrine().shipmentsUpdate(orderId, update)));
    setShipping(false);
  });
  const open = useAction('Opening the tracking page', async (url: string) => {
    await call(vitrine().linksOpen(url));
  });

  const submitShipped = (event: FormEvent) => {
    event.preventDefault();
    const update: ShipmentUpdate = { status: 'shipped' };
    if (carrier.trim()) update.carrier = carrier.trim();
    if (tracking.trim()) update.trackingNumber = tracking.trim();
    void move.run(update);
  };

  const next = NEXT_SHIPMENT_STATUS[shipment.status] ?? [];
  return (
    <div className="shipment" data-testid="shipment" data-status={shipment.status}>
      <dl className="facts">
        <div className="fact">
          <dt>Status</dt>
          <dd data-testid="shipment-status">{shipment.status}</dd>
        </div>
        <div className="fact">
          <dt>Carrier</dt>
          <dd>{shipment.carrier ?? '—'}</dd>
        </div>
        <div className="fact">
          <dt>Tracking number</dt>
          <dd data-testid="tracking-number">{shipment.trackingNumber ?? '—'}</dd>
        </div>
        <div className="fact">
          <dt>Updated</dt>
          <dd>{dateTime(shipment.updatedAt)}</dd>
        </div>
      </dl>
      {shipment.trackingUrl && (
        <button type="button" className="link" onClick={() => void open.run(shipment.trackingUrl!)}>
          Open the tracking page
        </button>
      )}
      {open.problem && <ProblemView problem={open.problem} />}
      <div className="actions">
        {next
          .filter((status) => status !== 'shipped')
          .map((status) => (
            <button
              key={status}
              type="button"
              disabled={move.busy}
              onClick={() => void move.run({ status })}
            >
              Mark {status}
            </button>
          ))}
        {next.includes('shipped') && (
          <button
            type="button"
            className="primary"
            disabled={move.busy}
            onClick={() => setShipping(true)}
          >
            Mark shipped…
          </button>
        )}
      </div>
      {shipping && (
        <form className="inline-form" onSubmit={submitShipped} aria-label="Ship">
          <label>
            Carrier
            <input
              name="carrier"
              value={carrier}
              onChange={(e) => setCarrier(e.target.value)}
              placeholder="DHL"
            />
          </label>
          <label>
            Tracking number
            <input
              name="trackingNumber"
              value={tracking}
              onChange={(e) => setTracking(e.target.value)}
            />
          </label>
          <button type="submit" className="primary" disabled={move.busy}>
            Mark shipped
          </button>
          <button type="button" onClick={() => setShipping(false)}>
            Cancel
          </button>
        </form>
      )}
      {move.problem && <ProblemView problem={move.problem} />}
    </div>
  );
}
