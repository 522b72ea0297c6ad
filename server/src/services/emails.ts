import { formatMoney, type OrderDownload, type Shipment } from '@vitrine/shared';
import type { Config } from '../config.js';
import type { AppContext } from '../context.js';
import { now, type Db } from '../db/database.js';
import { newId, sha256Hex } from '../ids.js';
import { listOrderDownloads } from './downloads.js';
import { enqueueEmail } from './outbox.js';
import { listShipments } from './shipments.js';

interface OrderRow {
  id: string;
  email: string;
  status: string;
  currency: string;
  total_amount: number;
  fulfillment_type: string;
  shipping_address_json: string | null;
  created_at: string;
}

interface ItemRow {
  kind: 'product' | 'shipping';
  name: string;
  product_type: string | null;
  quantity: number;
  amount: number;
}

/** A finished message before it is queued. */
interface Composed {
  subject: string;
  text: string;
  html: string;
}

/**
 * The customer's order page. The SITE builds `/orders/`; the key travels in the fragment so
 * it never reaches a server log or a Referer header.
 */
export function orderPageUrl(
  config: Pick<Config, 'publicUrl'>,
  orderId: string,
  orderKey: string,
): string {
  return `${config.publicUrl}/orders/?id=${encodeURIComponent(orderId)}#key=${encodeURIComponent(orderKey)}`;
}

/**
 * Issues an additional key for an order and stores only its sha256 in `order_keys`. The key
 * given at checkout is stored hashed and cannot be recovered, so every email that links to
 * the order page carries a fresh one. `GET /api/orders/:orderId` accepts any of them.
 */
export function issueOrderKey(db: Db, orderId: string): string {
  const key = newId('okey', 24);
  db.prepare('INSERT INTO order_keys (order_id, key_hash, created_at) VALUES (?, ?, ?)').run(
    orderId,
    sha256Hex(key),
    now(),
  );
  return key;
}

/** True when `key` is one of the extra keys issued for the order. */
export function isIssuedOrderKey(db: Db, orderId: string, key: string): boolean {
  return Boolean(
    db
      .prepare('SELECT 1 FROM order_keys WHERE order_id = ? AND key_hash = ?')
      .get(orderId, sha256Hex(key)),
  );
}

/** Escapes text for HTML element content and double-quoted attributes. */
export function escapeHtml(value: unknown): string {
  return String(value)
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

function formatDate(iso: string): string {
  return `${new Intl.DateTimeFormat('en', {
    dateStyle: 'medium',
    timeStyle: 'short',
    timeZone: 'UTC',
    hourCycle: 'h23',
  }).format(new Date(iso))} UTC`;
}

const CARRIER_NAMES: Record<string, string> = {
  ups: 'UPS',
  usps: 'USPS',
  fedex: 'FedEx',
  dhl: 'DHL',
  dpd: 'DPD',
  'royal-mail': 'Royal Mail',
  postnl: 'PostNL',
  gls: 'GLS',
};

function carrierName(carrier: string | null): string {
  if (!carrier) return 'the carrier';
  return CARRIER_NAMES[carrier] ?? carrier;
}

function getOrder(db: Db, orderId: string): OrderRow {
  const order = db.prepare('SELECT * FROM orders WHERE id = ?').get(orderId) as
    OrderRow | undefined;
  if (!order) throw new RangeError(`emails: there is no order ${orderId}`);
  return order;
}

function getItems(db: Db, orderId: string): ItemRow[] {
  return db
    .prepare(
      'SELECT kind, name, product_type, quantity, amount FROM order_items WHERE order_id = ? ORDER BY position',
    )
    .all(orderId) as ItemRow[];
}

function isQueued(db: Db, dedupeKey: string): boolean {
  return Boolean(db.prepare('SELECT 1 FROM outbox WHERE dedupe_key = ?').get(dedupeKey));
}

/** Builds the plain text and the HTML of one message from the same blocks. */
class MessageBuilder {
  private readonly textParts: string[] = [];
  private readonly htmlParts: string[] = [];

  paragraph(text: string): this {
    this.textParts.push(text);
    this.htmlParts.push(`<p>${escapeHtml(text)}</p>`);
    return this;
  }

  link(label: string, url: string): this {
    this.textParts.push(`${label}: ${url}`);
    this.htmlParts.push(`<p><a href="${escapeHtml(url)}">${escapeHtml(label)}</a></p>`);
    return this;
  }

  /** A table of rows; `url` turns a row's first cell into a link, `note` adds a line under it. */
  table(rows: { cells: string[]; url?: string; note?: string }[]): this {
    this.textParts.push(
      rows
        .map((row) => {
          const line = row.cells.filter(Boolean).join('  ');
          return [line, row.url ? `  ${row.url}` : '', row.note ? `  ${row.note}` : '']
            .filter(Boolean)
            .join('\n');
        })
        .join('\n'),
    );
    const body = rows
      .map((row) => {
        const [first = '', ...rest] = row.cells;
        const head = row.url
          ? `<a href="${escapeHtml(row.url)}">${escapeHtml(first)}</a>`
          : escapeHtml(first);
        const note = row.note ? `<br><small>${escapeHtml(row.note)}</small>` : '';
        const cells = rest
          .map((c) => `<td style="padding:4px 8px;text-align:right">${escapeHtml(c)}</td>`)
          .join('');
        return `<tr><td style="padding:4px 8px">${head}${note}</td>${cells}</tr>`;
      })
      .join('');
    this.htmlParts.push(`<table style="border-collapse:collapse">${body}</table>`);
    return this;
  }

  heading(text: string): this {
    this.textParts.push(`${text}\n${'-'.repeat(text.length)}`);
    this.htmlParts.push(`<h2 style="font-size:16px">${escapeHtml(text)}</h2>`);
    return this;
  }

  build(config: Config, subject: string): Composed {
    const footer = `${config.storeName} · ${config.publicUrl}`;
    return {
      subject,
      text: [...this.textParts, '--', footer].join('\n\n') + '\n',
      html:
        '<!doctype html><html><body style="font-family:system-ui,sans-serif;line-height:1.5">' +
        this.htmlParts.join('\n') +
        `<hr><p style="color:#666;font-size:12px">${escapeHtml(footer)}</p></body></html>`,
    };
  }
}

function addItems(message: MessageBuilder, order: OrderRow, items: ItemRow[]): void {
  const money = (amount: number) => formatMoney({ amount, currency: order.currency });
  message.table([
    ...items.map((item) => ({
      cells:
        item.kind === 'shipping'
          ? [item.name, '', money(item.amount)]
          : [item.name, `× ${item.quantity}`, money(item.amount)],
    })),
    { cells: ['Total', '', money(order.total_amount)] },
  ]);
}

function addDownloads(message: MessageBuilder, downloads: OrderDownload[]): void {
  const live = downloads.filter((d) => !d.revoked && d.remaining > 0);
  if (live.length === 0) return;
  message.heading('Your downloads');
  message.table(
    live.map((d) => ({
      cells: [d.name],
      url: d.url,
      note: `Link valid until ${formatDate(d.expiresAt)}, ${d.remaining} ${d.remaining === 1 ? 'download' : 'downloads'} left.`,
    })),
  );
}

function addShipmentNote(message: MessageBuilder, order: OrderRow, shipments: Shipment[]): void {
  const hasPhysical = order.fulfillment_type !== 'digital_download' || shipments.length > 0;
  if (!hasPhysical) return;
  message.heading('Shipping');
  const address = parseAddress(order.shipping_address_json);
  if (address) message.paragraph(`We will ship to: ${address}.`);
  const shipment = shipments[0];
  if (
    shipment &&
    (shipment.status === 'shipped' || shipment.status === 'delivered') &&
    shipment.trackingNumber
  ) {
    message.paragraph(
      `Your parcel is ${shipment.status} with ${carrierName(shipment.carrier)}, tracking number ${shipment.trackingNumber}.`,
    );
    if (shipment.trackingUrl) message.link('Track your parcel', shipment.trackingUrl);
  } else {
    message.paragraph(
      'We are preparing your parcel. You will get another email with the tracking number when it ships.',
    );
  }
}

function parseAddress(json: string | null): string | null {
  if (!json) return null;
  try {
    const a = JSON.parse(json) as Record<string, string | undefined>;
    return [
      a.name,
      a.line1,
      a.line2,
      [a.postalCode, a.city].filter(Boolean).join(' '),
      a.state,
      a.country,
    ]
      .filter((part) => part && part.trim())
      .join(', ');
  } catch {
    return null;
  }
}

/**
 * Queues the receipt of a paid order: its lines and total, download links with expiry and
 * remaining count, a shipping note for physical goods, and a link to the order page with a
 * freshly issued key. Runs inside the fulfilment transaction; dedupe key `receipt:<orderId>`,
 * so a second fulfilment run neither sends a second receipt nor issues another key.
 */
export function queueReceipt(context: AppContext, orderId: string): void {
  const { db, config } = context;
  const dedupeKey = `receipt:${orderId}`;
  if (isQueued(db, dedupeKey)) return;

  const order = getOrder(db, orderId);
  const items = getItems(db, orderId);
  const downloads = listOrderDownloads(context, orderId);
  const shipments = listShipments(db, orderId);
  const key = issueOrderKey(db, orderId);

  const message = new MessageBuilder()
    .paragraph(`Thank you for your order at ${config.storeName}. Your payment has been received.`)
    .paragraph(`Order ${order.id}, placed ${formatDate(order.created_at)}.`);
  addItems(message, order, items);
  addDownloads(message, downloads);
  addShipmentNote(message, order, shipments);
  message.link('Your order page', orderPageUrl(config, orderId, key));
  const composed = message.build(
    config,
    `Your receipt from ${config.storeName} (order ${orderId})`,
  );

  enqueueEmail(db, { dedupeKey, kind: 'receipt', to: order.email, ...composed });
}

/**
 * Queues the refund notice (dedupe key `refund:<orderId>`, so only the first refund of an
 * order is announced). Runs inside the transaction that records the refund, after the refund
 * row is in `payments` (its amount is what the notice states; without one, the order total).
 * A full refund says the download links stopped working; a partial one says the order stands.
 */
export function queueRefundNotice(context: AppContext, orderId: string): void {
  const { db, config } = context;
  const dedupeKey = `refund:${orderId}`;
  if (isQueued(db, dedupeKey)) return;

  const order = getOrder(db, orderId);
  const refunded = db
    .prepare(
      `SELECT COALESCE(SUM(amount), 0) FROM payments
       WHERE order_id = ? AND kind LIKE 'refund%' AND status IN ('succeeded', 'pending')`,
    )
    .pluck()
    .get(orderId) as number;
  const amount = refunded > 0 ? Math.min(refunded, order.total_amount) : order.total_amount;
  const hasDownloads = Boolean(
    db.prepare('SELECT 1 FROM download_grants WHERE order_id = ?').get(orderId),
  );

  const message = new MessageBuilder()
    .paragraph(
      `${config.storeName} has refunded ${formatMoney({ amount, currency: order.currency })} for order ${order.id}.`,
    )
    .paragraph(
      'The money goes back to the payment method you used; your bank may take 5 to 10 business days to show it.',
    );
  // Only a full refund takes the downloads back; a partial one leaves the order standing.
  const full = amount >= order.total_amount;
  if (!full) {
    message.paragraph(
      `This is a partial refund of the order's ${formatMoney({ amount: order.total_amount, currency: order.currency })}; the rest of your order stands.`,
    );
  } else if (hasDownloads) {
    message.paragraph('The download links of this order no longer work.');
  }
  message.paragraph('If you did not expect this refund, reply to this email.');
  const composed = message.build(
    config,
    `Refund for your order at ${config.storeName} (order ${orderId})`,
  );

  enqueueEmail(db, { dedupeKey, kind: 'refund', to: order.email, ...composed });
}

/**
 * Queues the "shipped" or "delivered" email for a shipment (dedupe key
 * `shipment:<shipmentId>:<status>`), inside the transaction that moved the shipment.
 */
export function queueShipmentEmail(
  context: AppContext,
  orderId: string,
  shipmentId: string,
  status: 'shipped' | 'delivered',
): void {
  const { db, config } = context;
  const dedupeKey = `shipment:${shipmentId}:${status}`;
  if (isQueued(db, dedupeKey)) return;

  const order = getOrder(db, orderId);
  const shipment = listShipments(db, orderId).find((s) => s.id === shipmentId);
  if (!shipment) throw new RangeError(`queueShipmentEmail(): there is no shipment ${shipmentId}`);
  const key = issueOrderKey(db, orderId);
  const message = new MessageBuilder();

  if (status === 'shipped') {
    message.paragraph(`Good news: your order ${order.id} from ${config.storeName} is on its way.`);
    message.paragraph(
      `Carrier: ${carrierName(shipment.carrier)}. Tracking number: ${shipment.trackingNumber ?? 'not given'}.`,
    );
    if (shipment.trackingUrl) message.link('Track your parcel', shipment.trackingUrl);
    const address = parseAddress(order.shipping_address_json);
    if (address) message.paragraph(`It goes to: ${address}.`);
  } else {
    message.paragraph(`Your order ${order.id} from ${config.storeName} has been delivered.`);
    message.paragraph('If anything is missing or damaged, reply to this email.');
  }
  message.link('Your order page', orderPageUrl(config, orderId, key));
  const subject =
    status === 'shipped'
      ? `Your order from ${config.storeName} has shipped (order ${orderId})`
      : `Your order from ${config.storeName} was delivered (order ${orderId})`;

  enqueueEmail(db, {
    dedupeKey,
    kind: status === 'shipped' ? 'shipment_shipped' : 'shipment_delivered',
    to: order.email,
    ...message.build(config, subject),
  });
}

/** Order statuses worth listing in an order lookup: the customer paid for these. */
export const LOOKUP_STATUSES = [
  'paid',
  'fulfilled',
  'refunded',
  'disputed',
  'needs_review',
] as const;

/**
 * Queues the order lookup email: the customer's paid orders (newest 20), each with a freshly
 * issued order-page link and fresh download links. Queues nothing and returns false when the
 * address has no such orders. Runs inside a write transaction.
 */
export function queueOrderLookup(context: AppContext, email: string): boolean {
  const { db, config } = context;
  const orders = db
    .prepare(
      `SELECT * FROM orders
       WHERE lower(email) = lower(?) AND status IN (${LOOKUP_STATUSES.map(() => '?').join(', ')})
       ORDER BY created_at DESC LIMIT 20`,
    )
    .all(email, ...LOOKUP_STATUSES) as OrderRow[];
  if (orders.length === 0) return false;

  const message = new MessageBuilder().paragraph(
    `Someone (hopefully you) asked for the orders placed with this address at ${config.storeName}. Here they are, with fresh links.`,
  );
  for (const order of orders) {
    const key = issueOrderKey(db, order.id);
    const total = formatMoney({ amount: order.total_amount, currency: order.currency });
    message.heading(`Order ${order.id}`);
    message.paragraph(`Placed ${formatDate(order.created_at)}, ${total}, ${order.status}.`);
    message.link('Order page', orderPageUrl(config, order.id, key));
    addDownloads(message, listOrderDownloads(context, order.id));
  }
  message.paragraph(
    'If you did not ask for this email, you can ignore it; the links only reach this inbox.',
  );
  const composed = message.build(config, `Your orders at ${config.storeName}`);

  enqueueEmail(db, {
    dedupeKey: `lookup:${newId('req', 12)}`,
    kind: 'order_lookup',
    to: orders[0]!.email,
    ...composed,
  });
  return true;
}
