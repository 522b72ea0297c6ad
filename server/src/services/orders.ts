import {
  ORDER_STATUSES,
  VitrineError,
  type FulfillmentType,
  type OrderItem,
  type OrderStatus,
  type OrderView,
  type ProductType,
  type ShippingAddress,
} from '@vitrine/shared';
import type { AppContext } from '../context.js';
import { now, writeTransaction, type Db } from '../db/database.js';
import { safeEqual } from '../http/auth.js';
import { newId, sha256Hex } from '../ids.js';
import { listOrderDownloads } from './downloads.js';
import { isIssuedOrderKey } from './emails.js';
import type { PricedOrder } from './pricing.js';
import { listShipments } from './shipments.js';
import { releaseStock, reserveStock } from './stock.js';

/** An `orders` row as stored. Money is in minor units of `currency`. */
export interface OrderRow {
  id: string;
  key_hash: string;
  email: string;
  status: OrderStatus;
  currency: string;
  total_amount: number;
  fulfillment_type: FulfillmentType;
  product_type: ProductType | 'mixed';
  content_hash: string;
  payment_intent_id: string | null;
  checkout_session_id: string | null;
  shipping_address_json: string | null;
  created_at: string;
  updated_at: string;
  paid_at: string | null;
  fulfilled_at: string | null;
  expires_at: string | null;
  /** Why the owner should look at this order (amount mismatch, stock shortfall); else null. */
  attention: string | null;
}

interface ItemRow {
  id: string;
  position: number;
  kind: 'product' | 'shipping';
  product_id: string | null;
  product_type: ProductType | null;
  model_id: string | null;
  name: string;
  quantity: number;
  unit_amount: number;
  amount: number;
}

interface PaymentRow {
  id: string;
  provider_ref: string;
  kind: string;
  status: string;
  amount: number;
  currency: string;
  created_at: string;
  updated_at: string;
}

/** Statuses from which a successful payment still fulfils the order (a late success included). */
export const FULFILLABLE_STATUSES: readonly OrderStatus[] = [
  'pending',
  'paid',
  'failed',
  'canceled',
];

/** Statuses in which the shop holds the customer's money and may refund it. */
export const REFUNDABLE_STATUSES: readonly OrderStatus[] = ['paid', 'fulfilled', 'needs_review'];

export function getOrderRow(db: Db, orderId: string): OrderRow | undefined {
  return db.prepare('SELECT * FROM orders WHERE id = ?').get(orderId) as OrderRow | undefined;
}

export function findOrderByPaymentIntent(db: Db, paymentIntentId: string): OrderRow | undefined {
  return db.prepare('SELECT * FROM orders WHERE payment_intent_id = ?').get(paymentIntentId) as
    OrderRow | undefined;
}

export function findOrderByCheckoutSession(db: Db, sessionId: string): OrderRow | undefined {
  return db.prepare('SELECT * FROM orders WHERE checkout_session_id = ?').get(sessionId) as
    OrderRow | undefined;
}

// A real hash of nothing in particular, compared against when the order id is unknown, so an
// unknown id and a wrong key take the same path and the same time.
const DUMMY_KEY_HASH = sha256Hex('vitrine:no-such-order');

/**
 * The order when `key` opens it: the key given at checkout (only its sha256 is stored, compared
 * in constant time) or one issued later by an email. Unknown id and wrong key both give
 * undefined, so a caller cannot tell them apart.
 */
export function findOrderByKey(
  db: Db,
  orderId: string,
  key: string | undefined,
): OrderRow | undefined {
  const order = getOrderRow(db, orderId);
  const matches = safeEqual(sha256Hex(key ?? ''), order?.key_hash ?? DUMMY_KEY_HASH);
  // Asked every time, known order or not: skipping it for unknown ids made them answer faster.
  const issued = isIssuedOrderKey(db, orderId, key ?? '');
  if (!order || !key) return undefined;
  return matches || issued ? order : undefined;
}

export interface CreatedOrder {
  orderId: string;
  orderKey: string;
  /** The earlier order this one replaced, when it was still unpaid (its intent is to cancel). */
  replaced: OrderRow | null;
}

/**
 * Stores a priced cart as a `pending` order with its lines and takes its stock, in ONE write
 * transaction: two shoppers racing for the last unit cannot both get an order. When the cart
 * replaces an earlier unpaid order of the same shopper (`replaces` with its key), that order is
 * canceled and its stock returned first, in the same transaction, so changing the cart never
 * competes with itself for the last unit.
 *
 * Only the sha256 of the order key is stored; the key itself is returned once.
 */
export function createPendingOrder(
  context: AppContext,
  priced: PricedOrder,
  options: { expiresAt: string; replaces?: { orderId: string; orderKey: string } },
): CreatedOrder {
  const { db } = context;
  const orderId = newId('ord');
  const orderKey = newId('okey', 24);

  return writeTransaction(db, () => {
    let replaced: OrderRow | null = null;
    if (options.replaces) {
      const earlier = findOrderByKey(db, options.replaces.orderId, options.replaces.orderKey);
      if (
        earlier &&
        earlier.status === 'pending' &&
        markOrderStatus(db, earlier.id, 'canceled', ['pending'])
      ) {
        releaseStock(db, earlier.id);
        replaced = earlier;
      }
    }

    const at = now();
    db.prepare(
      `INSERT INTO orders (id, key_hash, email, status, currency, total_amount, fulfillment_type,
         product_type, content_hash, shipping_address_json, created_at, updated_at, expires_at)
       VALUES (?, ?, ?, 'pending', ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ).run(
      orderId,
      sha256Hex(orderKey),
      priced.email,
      priced.currency,
      priced.total.amount,
      priced.fulfillmentType,
      priced.productType,
      priced.contentHash,
      priced.shippingAddress ? JSON.stringify(priced.shippingAddress) : null,
      at,
      at,
      options.expiresAt,
    );

    const insertItem = db.prepare(
      `INSERT INTO order_items (id, order_id, position, kind, product_id, product_type, model_id,
         name, quantity, unit_amount, amount)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    priced.lines.forEach((line, index) => {
      insertItem.run(
        newId('oit', 12),
        orderId,
        index,
        'product',
        line.productId,
        line.productType,
        line.modelId,
        line.name,
        line.quantity,
        line.unitAmount,
        line.amount,
      );
    });
    if (priced.shipping) {
      const s = priced.shipping;
      insertItem.run(
        newId('oit', 12),
        orderId,
        priced.lines.length,
        'shipping',
        null,
        null,
        null,
        s.name,
        1,
        s.amount,
        s.amount,
      );
    }

    reserveStock(
      db,
      orderId,
      priced.lines
        .filter((line) => line.productType !== 'digital')
        .map((line) => ({ productId: line.productId, quantity: line.quantity })),
    );
    return { orderId, orderKey, replaced };
  });
}

/**
 * Moves an order to `to` only when its current status is one of `from`. Returns whether it
 * moved; the guard in the UPDATE keeps the rule true even if two writers ever raced.
 */
export function markOrderStatus(
  db: Db,
  orderId: string,
  to: OrderStatus,
  from: readonly OrderStatus[],
  fields: {
    attention?: string | null;
    paidAt?: string;
    fulfilledAt?: string;
    expiresAt?: string | null;
  } = {},
): boolean {
  if (!ORDER_STATUSES.includes(to))
    throw new RangeError(`markOrderStatus(): unknown status "${to}"`);
  if (from.length === 0)
    throw new RangeError('markOrderStatus(): name at least one status to move from');
  const at = now();
  const sets = ['status = ?', 'updated_at = ?'];
  const values: unknown[] = [to, at];
  if (fields.attention !== undefined) {
    sets.push('attention = ?');
    values.push(fields.attention);
  }
  if (fields.paidAt !== undefined) {
    sets.push('paid_at = COALESCE(paid_at, ?)');
    values.push(fields.paidAt);
  }
  if (fields.fulfilledAt !== undefined) {
    sets.push('fulfilled_at = COALESCE(fulfilled_at, ?)');
    values.push(fields.fulfilledAt);
  }
  if (fields.expiresAt !== undefined) {
    sets.push('expires_at = ?');
    values.push(fields.expiresAt);
  }
  const marks = from.map(() => '?').join(', ');
  const result = db
    .prepare(`UPDATE orders SET ${sets.join(', ')} WHERE id = ? AND status IN (${marks})`)
    .run(...values, orderId, ...from);
  return result.changes === 1;
}

/** Links the order to its PaymentIntent or Checkout Session (each at most once). */
export function attachPaymentRefs(
  db: Db,
  orderId: string,
  refs: { paymentIntentId?: string | null; checkoutSessionId?: string | null },
): void {
  if (refs.paymentIntentId) {
    db.prepare(
      'UPDATE orders SET payment_intent_id = ?, updated_at = ? WHERE id = ? AND payment_intent_id IS NULL',
    ).run(refs.paymentIntentId, now(), orderId);
  }
  if (refs.checkoutSessionId) {
    db.prepare(
      'UPDATE orders SET checkout_session_id = ?, updated_at = ? WHERE id = ? AND checkout_session_id IS NULL',
    ).run(refs.checkoutSessionId, now(), orderId);
  }
}

/**
 * Records what Stripe reported about a payment object of the order, one row per object and
 * kind (`payment_intent`, `checkout_session`, `refund`, `dispute`), updated in place.
 */
export function recordPayment(
  db: Db,
  payment: {
    orderId: string;
    providerRef: string;
    kind: string;
    status: string;
    amount: number;
    currency: string;
  },
): void {
  const at = now();
  db.prepare(
    `INSERT INTO payments (id, order_id, provider_ref, kind, status, amount, currency, created_at, updated_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
     ON CONFLICT (provider_ref, kind) DO UPDATE SET
       status = excluded.status, amount = excluded.amount, currency = excluded.currency,
       updated_at = excluded.updated_at`,
  ).run(
    newId('pay', 12),
    payment.orderId,
    payment.providerRef,
    payment.kind,
    payment.status,
    payment.amount,
    payment.currency,
    at,
    at,
  );
}

/**
 * Gives up on an unpaid order: `pending → failed` (or `canceled`) and its reserved stock back.
 * Returns whether the order moved. Runs in its own write transaction unless inside one.
 */
export function closeUnpaidOrder(
  context: AppContext,
  orderId: string,
  to: 'failed' | 'canceled',
  from: readonly OrderStatus[] = ['pending'],
): boolean {
  const { db } = context;
  return writeTransaction(db, () => {
    const moved = markOrderStatus(db, orderId, to, from);
    if (moved) releaseStock(db, orderId);
    return moved;
  });
}

function listItems(db: Db, orderId: string): ItemRow[] {
  return db
    .prepare('SELECT * FROM order_items WHERE order_id = ? ORDER BY position')
    .all(orderId) as ItemRow[];
}

function toOrderItem(row: ItemRow, currency: string): OrderItem {
  return {
    productId: row.product_id,
    name: row.name,
    kind: row.kind,
    productType: row.product_type,
    quantity: row.quantity,
    unitPrice: { amount: row.unit_amount, currency },
    total: { amount: row.amount, currency },
  };
}

/** The order as the customer's order page shows it (`GET /api/orders/:orderId`). */
export function getOrderView(context: AppContext, orderId: string): OrderView {
  const order = getOrderRow(context.db, orderId);
  if (!order) throw new VitrineError('not_found', `There is no order ${orderId}.`);
  return {
    orderId: order.id,
    status: order.status,
    email: order.email,
    items: listItems(context.db, orderId).map((row) => toOrderItem(row, order.currency)),
    total: { amount: order.total_amount, currency: order.currency },
    downloads: listOrderDownloads(context, orderId),
    shipments: listShipments(context.db, orderId),
    createdAt: order.created_at,
  };
}

/** A row of `GET /api/admin/orders`. */
export interface AdminOrderSummary {
  orderId: string;
  status: OrderStatus;
  email: string;
  total: { amount: number; currency: string };
  createdAt: string;
  updatedAt: string;
  paidAt: string | null;
  fulfillmentType: FulfillmentType;
  productType: string;
  itemCount: number;
  shipmentStatus: string | null;
  attention: string | null;
}

/** `GET /api/admin/orders/:orderId`. */
export interface AdminOrderDetail extends OrderView, Omit<AdminOrderSummary, 'itemCount'> {
  fulfilledAt: string | null;
  expiresAt: string | null;
  paymentIntentId: string | null;
  checkoutSessionId: string | null;
  shippingAddress: ShippingAddress | null;
  payments: {
    id: string;
    providerRef: string;
    kind: string;
    status: string;
    amount: number;
    currency: string;
    createdAt: string;
    updatedAt: string;
  }[];
}

/**
 * Orders for the desktop app, newest first. `status` filters; `q` matches the order id (exact
 * or prefix) or the email (case-insensitive, part of it).
 */
export function listOrders(
  db: Db,
  filter: { status?: OrderStatus; q?: string; limit?: number } = {},
): AdminOrderSummary[] {
  const where: string[] = [];
  const values: unknown[] = [];
  if (filter.status) {
    where.push('o.status = ?');
    values.push(filter.status);
  }
  const q = filter.q?.trim();
  if (q) {
    // LIKE wildcards typed into the search are plain characters.
    const escaped = q.replace(/[\\%_]/g, (c) => `\\${c}`);
    where.push(`(o.id = ? OR o.id LIKE ? ESCAPE '\\' OR LOWER(o.email) LIKE ? ESCAPE '\\')`);
    values.push(q, `${escaped}%`, `%${escaped.toLowerCase()}%`);
  }
  const limit = Math.min(Math.max(filter.limit ?? 200, 1), 1000);
  const rows = db
    .prepare(
      `SELECT o.*,
         (SELECT COUNT(*) FROM order_items i WHERE i.order_id = o.id AND i.kind = 'product') AS item_count,
         (SELECT s.status FROM shipments s WHERE s.order_id = o.id) AS shipment_status
       FROM orders o
       ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
       ORDER BY o.created_at DESC, o.id DESC
       LIMIT ${limit}`,
    )
    .all(...values) as (OrderRow & { item_count: number; shipment_status: string | null })[];
  return rows.map((row) => ({
    ...toSummary(row),
    itemCount: row.item_count,
    shipmentStatus: row.shipment_status,
  }));
}

function toSummary(row: OrderRow): Omit<AdminOrderSummary, 'itemCount' | 'shipmentStatus'> {
  return {
    orderId: row.id,
    status: row.status,
    email: row.email,
    total: { amount: row.total_amount, currency: row.currency },
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    paidAt: row.paid_at,
    fulfillmentType: row.fulfillment_type,
    productType: row.product_type,
    attention: row.attention,
  };
}

/** One order with everything the owner needs: items, payments, grants, shipments. */
export function getAdminOrder(context: AppContext, orderId: string): AdminOrderDetail {
  const { db } = context;
  const order = getOrderRow(db, orderId);
  if (!order) throw new VitrineError('not_found', `There is no order ${orderId}.`);
  const view = getOrderView(context, orderId);
  const payments = db
    .prepare('SELECT * FROM payments WHERE order_id = ? ORDER BY created_at, id')
    .all(orderId) as PaymentRow[];
  return {
    ...view,
    ...toSummary(order),
    shipmentStatus: view.shipments[0]?.status ?? null,
    fulfilledAt: order.fulfilled_at,
    expiresAt: order.expires_at,
    paymentIntentId: order.payment_intent_id,
    checkoutSessionId: order.checkout_session_id,
    shippingAddress: order.shipping_address_json
      ? (JSON.parse(order.shipping_address_json) as ShippingAddress)
      : null,
    payments: payments.map((p) => ({
      id: p.id,
      providerRef: p.provider_ref,
      kind: p.kind,
      status: p.status,
      amount: p.amount,
      currency: p.currency,
      createdAt: p.created_at,
      updatedAt: p.updated_at,
    })),
  };
}
