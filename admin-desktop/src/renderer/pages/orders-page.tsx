import { useCallback, useEffect, useState, type FormEvent } from 'react';
import { ORDER_STATUSES, type OrderStatus } from '@vitrine/shared';
import type { AdminOrderSummary, Problem } from '../../common/bridge.js';
import { ProblemView } from '../components/problem-view.js';
import { asProblem, call, vitrine } from '../lib/bridge.js';
import { dateTime, money } from '../lib/format.js';
import { OrderDetailView } from './order-detail.js';

/** Orders newest first, filtered by status or searched by email or order id. */
export function OrdersPage() {
  const [orders, setOrders] = useState<AdminOrderSummary[]>([]);
  const [status, setStatus] = useState<OrderStatus | ''>('');
  const [query, setQuery] = useState('');
  const [loading, setLoading] = useState(true);
  const [problem, setProblem] = useState<Problem | null>(null);
  const [selected, setSelected] = useState<string | null>(null);

  const load = useCallback(async (filter: { status: OrderStatus | ''; q: string }) => {
    setLoading(true);
    try {
      const list = await call(vitrine().ordersList(filter));
      list.sort((a, b) => (a.createdAt < b.createdAt ? 1 : a.createdAt > b.createdAt ? -1 : 0));
      setOrders(list);
      setProblem(null);
    } catch (error) {
      setProblem(asProblem(error, 'Loading the orders'));
    } finally {
      setLoading(false);
    }
  }, []);

  useEffect(() => {
    void load({ status, q: query });
    // The search box applies on submit; the status filter applies at once.
  }, [load, status]);

  const search = (event: FormEvent) => {
    event.preventDefault();
    void load({ status, q: query });
  };

  return (
    <div className="split">
      <aside className="list-pane" aria-label="Orders">
        <form className="search" role="search" onSubmit={search}>
          <input
            type="search"
            name="q"
            placeholder="Email or order id"
            aria-label="Search orders"
            value={query}
            onChange={(event) => setQuery(event.target.value)}
          />
          <button type="submit">Search</button>
        </form>
        <label className="inline">
          Status
          <select
            name="status"
            aria-label="Filter by status"
            value={status}
            onChange={(event) => setStatus(event.target.value as OrderStatus | '')}
          >
            <option value="">all</option>
            {ORDER_STATUSES.map((value) => (
              <option key={value} value={value}>
                {value}
              </option>
            ))}
          </select>
        </label>
        <button type="button" onClick={() => void load({ status, q: query })}>
          Refresh
        </button>
        {problem && <ProblemView problem={problem} />}
        {loading && <p className="muted">Loading…</p>}
        {!loading && !problem && orders.length === 0 && <p className="muted">No orders match.</p>}
        <ul className="items" data-testid="order-list">
          {orders.map((order) => (
            <li key={order.orderId}>
              <button
                type="button"
                className={selected === order.orderId ? 'item selected' : 'item'}
                onClick={() => setSelected(order.orderId)}
                data-order-id={order.orderId}
              >
                <span className="item-title">
                  {order.email}{' '}
                  <span className={`pill status-${order.status}`}>{order.status}</span>
                </span>
                <span className="item-meta">
                  {money(order.total)} · {dateTime(order.createdAt)}
                </span>
              </button>
            </li>
          ))}
        </ul>
      </aside>
      <section className="detail-pane">
        {!selected && <p className="muted">Choose an order.</p>}
        {selected && (
          <OrderDetailView
            key={selected}
            orderId={selected}
            onChanged={(order) =>
              setOrders((list) =>
                list.map((row) =>
                  row.orderId === order.orderId ? { ...row, status: order.status } : row,
                ),
              )
            }
          />
        )}
      </section>
    </div>
  );
}
