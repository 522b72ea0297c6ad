import {
  SHIPMENT_STATUSES,
  VitrineError,
  type Shipment,
  type ShipmentStatus,
  type ShipmentUpdate,
} from '@vitrine/shared';
import type { AppContext } from '../context.js';
import { now, writeTransaction, type Db } from '../db/database.js';
import { newId } from '../ids.js';
import { queueShipmentEmail } from './emails.js';

interface ShipmentRow {
  id: string;
  order_id: string;
  status: ShipmentStatus;
  carrier: string | null;
  tracking_number: string | null;
  tracking_url: string | null;
  created_at: string;
  updated_at: string;
  packed_at: string | null;
  shipped_at: string | null;
  delivered_at: string | null;
  returned_at: string | null;
}

interface EventRow {
  shipment_id: string;
  from_status: ShipmentStatus | null;
  to_status: ShipmentStatus;
  actor: string;
  at: string;
}

/** Position on the forward path; `returned` sits off it. */
const FORWARD: Record<ShipmentStatus, number> = {
  pending: 0,
  packed: 1,
  shipped: 2,
  delivered: 3,
  returned: -1,
};

/**
 * Public tracking pages of the carriers the admin can pick, as URL patterns. The server only
 * writes these links into emails and the order page; it never calls the carriers.
 */
const TRACKING_URLS: Record<string, (number: string) => string> = {
  ups: (n) => `https://www.ups.com/track?tracknum=${n}`,
  usps: (n) => `https://tools.usps.com/go/TrackConfirmAction?tLabels=${n}`,
  fedex: (n) => `https://www.fedex.com/fedextrack/?trknbr=${n}`,
  dhl: (n) =>
    `https://www.dhl.com/global-en/home/tracking/tracking-parcel.html?submit=1&tracking-id=${n}`,
  dpd: (n) => `https://tracking.dpd.de/status/en_US/parcel/${n}`,
  'royal-mail': (n) => `https://www.royalmail.com/track-your-item#/tracking-results/${n}`,
  postnl: (n) => `https://jouw.postnl.nl/track-and-trace/${n}`,
  gls: (n) => `https://gls-group.com/GROUP/en/parcel-tracking?match=${n}`,
};

/** Carrier keys with a known tracking page, for the desktop app's picker. */
export const KNOWN_CARRIERS = Object.keys(TRACKING_URLS);

/** `Royal Mail`, `royal_mail`, `RoyalMail` → `royal-mail`; unknown names keep their spelling. */
export function normalizeCarrier(carrier: string): string {
  const key = carrier
    .trim()
    .toLowerCase()
    .replace(/[\s_]+/g, '-');
  if (key in TRACKING_URLS) return key;
  const squashed = key.replace(/-/g, '');
  const known = KNOWN_CARRIERS.find((k) => k.replace(/-/g, '') === squashed);
  return known ?? carrier.trim();
}

/** The carrier's public tracking page for a number, or null for carriers we have no pattern for. */
export function trackingUrlFor(
  carrier: string | null,
  trackingNumber: string | null,
): string | null {
  if (!carrier || !trackingNumber) return null;
  const build = TRACKING_URLS[normalizeCarrier(carrier)];
  return build ? build(encodeURIComponent(trackingNumber.trim())) : null;
}

/**
 * Opens the order's shipment in `pending`. Runs inside the fulfilment transaction; calling it
 * again for the same order changes nothing (one shipment per order, UNIQUE(order_id)).
 */
export function createShipment(db: Db, orderId: string): void {
  const exists = db.prepare('SELECT 1 FROM orders WHERE id = ?').get(orderId);
  if (!exists) {
    throw new RangeError(`createShipment(): there is no order ${orderId}`);
  }
  const at = now();
  const id = newId('shp');
  const created = db
    .prepare(
      `INSERT INTO shipments (id, order_id, status, created_at, updated_at)
       VALUES (?, ?, 'pending', ?, ?)
       ON CONFLICT (order_id) DO NOTHING`,
    )
    .run(id, orderId, at, at);
  if (created.changes === 1) {
    recordEvent(db, id, null, 'pending', 'system', at);
  }
}

function recordEvent(
  db: Db,
  shipmentId: string,
  from: ShipmentStatus | null,
  to: ShipmentStatus,
  actor: string,
  at: string,
): void {
  db.prepare(
    'INSERT INTO shipment_events (shipment_id, from_status, to_status, actor, at) VALUES (?, ?, ?, ?, ?)',
  ).run(shipmentId, from, to, actor, at);
}

function toShipment(row: ShipmentRow, events: EventRow[]): Shipment {
  return {
    id: row.id,
    status: row.status,
    carrier: row.carrier,
    trackingNumber: row.tracking_number,
    trackingUrl: row.tracking_url,
    updatedAt: row.updated_at,
    history: events.map((e) => ({ from: e.from_status, to: e.to_status, by: e.actor, at: e.at })),
  };
}

/** The order's shipments with their history, oldest event first. Empty for digital orders. */
export function listShipments(db: Db, orderId: string): Shipment[] {
  const rows = db
    .prepare('SELECT * FROM shipments WHERE order_id = ? ORDER BY created_at, id')
    .all(orderId) as ShipmentRow[];
  if (rows.length === 0) return [];
  const events = db
    .prepare(
      `SELECT e.shipment_id, e.from_status, e.to_status, e.actor, e.at
       FROM shipment_events e JOIN shipments s ON s.id = e.shipment_id
       WHERE s.order_id = ? ORDER BY e.id`,
    )
    .all(orderId) as EventRow[];

  return rows.map((row) =>
    toShipment(
      row,
      events.filter((e) => e.shipment_id === row.id),
    ),
  );
}

/**
 * Why `from → to` is not allowed, or null when it is. Shipments move forward only
 * (`pending → packed → shipped → delivered`, skipping steps is fine) and may be `returned`
 * once shipped or delivered. `returned` is final.
 */
export function transitionProblem(from: ShipmentStatus, to: ShipmentStatus): string | null {
  if (from === 'returned') {
    return 'The shipment was returned; a returned shipment does not move again.';
  }
  if (to === 'returned') {
    return from === 'shipped' || from === 'delivered'
      ? null
      : `A ${from} shipment has not left yet, so it cannot be returned. Mark it shipped first, or refund the order.`;
  }
  if (FORWARD[to] < FORWARD[from]) {
    return `A shipment moves forward only (${SHIPMENT_STATUSES.slice(0, 4).join(' → ')}); it is ${from} and cannot go back to ${to}.`;
  }
  return null;
}

const STATUS_TIMESTAMP: Partial<Record<ShipmentStatus, string>> = {
  packed: 'packed_at',
  shipped: 'shipped_at',
  delivered: 'delivered_at',
  returned: 'returned_at',
};

/**
 * Moves the order's shipment, as the owner does from the desktop app.
 *
 * - Impossible moves throw `invalid_transition` (409).
 * - `shipped` needs a carrier and a tracking number, from this update or set earlier (400).
 * - The same status again is allowed only to correct the carrier or tracking number.
 * - Every move writes a `shipment_events` row with `actor`, and `shipped` and `delivered`
 *   queue an email to the customer in the same transaction (one per shipment and status).
 *
 * @throws VitrineError `not_found` when the order has no shipment.
 */
export function moveShipment(
  context: AppContext,
  orderId: string,
  update: ShipmentUpdate,
  actor: string,
): Shipment {
  const { db } = context;
  return writeTransaction(db, () => {
    const row = db.prepare('SELECT * FROM shipments WHERE order_id = ?').get(orderId) as
      ShipmentRow | undefined;
    if (!row) {
      throw new VitrineError(
        'not_found',
        `Order ${orderId} has no shipment. Only paid orders with physical items have one.`,
      );
    }

    const carrier = update.carrier !== undefined ? normalizeCarrier(update.carrier) : row.carrier;
    const trackingNumber = update.trackingNumber ?? row.tracking_number;
    const detailsChanged = carrier !== row.carrier || trackingNumber !== row.tracking_number;

    if (update.status === row.status) {
      if (!detailsChanged || row.status === 'returned') {
        throw new VitrineError(
          'invalid_transition',
          `The shipment is already ${row.status}. Send a different status, or a new carrier or tracking number to correct them.`,
        );
      }
    } else {
      const problem = transitionProblem(row.status, update.status);
      if (problem) throw new VitrineError('invalid_transition', problem);
    }
    if (update.status === 'shipped' && (!carrier || !trackingNumber)) {
      throw new VitrineError(
        'invalid_request',
        'Marking a shipment shipped needs the carrier and the tracking number, so the customer can follow the parcel.',
        {
          hint: `Send { "status": "shipped", "carrier": "dhl", "trackingNumber": "…" }. Carriers with tracking links: ${KNOWN_CARRIERS.join(', ')}.`,
        },
      );
    }

    const at = now();
    const trackingUrl = trackingUrlFor(carrier, trackingNumber);
    const stampColumn = update.status !== row.status ? STATUS_TIMESTAMP[update.status] : undefined;
    db.prepare(
      `UPDATE shipments SET status = ?, carrier = ?, tracking_number = ?, tracking_url = ?,
         updated_at = ?${stampColumn ? `, ${stampColumn} = ?` : ''}
       WHERE id = ?`,
    ).run(
      ...[update.status, carrier, trackingNumber, trackingUrl, at],
      ...(stampColumn ? [at] : []),
      row.id,
    );
    recordEvent(db, row.id, row.status, update.status, actor, at);

    if (
      update.status !== row.status &&
      (update.status === 'shipped' || update.status === 'delivered')
    ) {
      queueShipmentEmail(context, orderId, row.id, update.status);
    }

    const shipment = listShipments(db, orderId).find((s) => s.id === row.id);
    if (!shipment)
      throw new Error(`moveShipment(): shipment ${row.id} vanished inside its transaction`);
    return shipment;
  });
}
