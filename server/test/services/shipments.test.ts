import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openDatabase, writeTransaction, type Db } from '../../src/db/database.js';
import {
  createShipment,
  listShipments,
  normalizeCarrier,
  trackingUrlFor,
  transitionProblem,
} from '../../src/services/shipments.js';
import { insertOrder, insertProduct } from '../helpers/physical-orders.js';

describe('trackingUrlFor()', () => {
  it.each([
    ['ups', '1Z999AA10123456784', 'https://www.ups.com/track?tracknum=1Z999AA10123456784'],
    [
      'USPS',
      '9400111899223856920000',
      'https://tools.usps.com/go/TrackConfirmAction?tLabels=9400111899223856920000',
    ],
    ['FedEx', '794698723456', 'https://www.fedex.com/fedextrack/?trknbr=794698723456'],
    [
      'dhl',
      'JD014600003',
      'https://www.dhl.com/global-en/home/tracking/tracking-parcel.html?submit=1&tracking-id=JD014600003',
    ],
    ['dpd', '01234567890123', 'https://tracking.dpd.de/status/en_US/parcel/01234567890123'],
    [
      'Royal Mail',
      'AB123456789GB',
      'https://www.royalmail.com/track-your-item#/tracking-results/AB123456789GB',
    ],
    [
      'royal_mail',
      'AB123456789GB',
      'https://www.royalmail.com/track-your-item#/tracking-results/AB123456789GB',
    ],
    ['PostNL', '3SABCD1234567', 'https://jouw.postnl.nl/track-and-trace/3SABCD1234567'],
    ['gls', '12345678901', 'https://gls-group.com/GROUP/en/parcel-tracking?match=12345678901'],
  ])('builds the public tracking page of %s', (carrier, number, url) => {
    expect(trackingUrlFor(carrier, number)).toBe(url);
  });

  it('encodes the tracking number so it cannot change the URL', () => {
    expect(trackingUrlFor('ups', 'a&b=c/../x y')).toBe(
      'https://www.ups.com/track?tracknum=a%26b%3Dc%2F..%2Fx%20y',
    );
  });

  it('gives null for an unknown carrier or a missing number', () => {
    expect(trackingUrlFor('Pony Express', '123')).toBeNull();
    expect(trackingUrlFor('ups', null)).toBeNull();
    expect(trackingUrlFor(null, '123')).toBeNull();
  });
});

describe('normalizeCarrier()', () => {
  it('maps spellings of known carriers to their key and keeps unknown ones as written', () => {
    expect(normalizeCarrier(' RoyalMail ')).toBe('royal-mail');
    expect(normalizeCarrier('DHL')).toBe('dhl');
    expect(normalizeCarrier('Local Courier')).toBe('Local Courier');
  });
});

describe('transitionProblem()', () => {
  it.each([
    ['pending', 'packed'],
    ['pending', 'shipped'],
    ['pending', 'delivered'],
    ['packed', 'shipped'],
    ['packed', 'delivered'],
    ['shipped', 'delivered'],
    ['shipped', 'returned'],
    ['delivered', 'returned'],
  ] as const)('allows %s → %s', (from, to) => {
    expect(transitionProblem(from, to)).toBeNull();
  });

  it.each([
    ['packed', 'pending'],
    ['shipped', 'packed'],
    ['delivered', 'shipped'],
    ['delivered', 'pending'],
    ['pending', 'returned'],
    ['packed', 'returned'],
    ['returned', 'delivered'],
    ['returned', 'pending'],
  ] as const)('refuses %s → %s with a reason', (from, to) => {
    expect(transitionProblem(from, to)).toMatch(/\w+/);
  });
});

describe('createShipment()', () => {
  let dir: string;
  let db: Db;

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vitrine-shipments-'));
    db = openDatabase(path.join(dir, 'store.db'));
    insertProduct(db, { id: 'mug', stock: 5 });
  });
  afterEach(() => {
    db.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('opens one pending shipment per order, however often it runs', () => {
    const order = insertOrder(db, { lines: [{ productId: 'mug', quantity: 1 }], status: 'paid' });

    writeTransaction(db, () => createShipment(db, order.id));
    writeTransaction(db, () => createShipment(db, order.id));

    const shipments = listShipments(db, order.id);
    expect(shipments).toHaveLength(1);
    expect(shipments[0]).toMatchObject({
      status: 'pending',
      carrier: null,
      trackingNumber: null,
      trackingUrl: null,
    });
    expect(shipments[0]!.id).toMatch(/^shp_/);
    expect(shipments[0]!.history).toHaveLength(1);
  });

  it('lists no shipments for an order that has none', () => {
    const order = insertOrder(db, { lines: [{ productId: 'mug', quantity: 1 }], status: 'paid' });

    expect(listShipments(db, order.id)).toEqual([]);
  });

  it('throws for an order that does not exist', () => {
    expect(() => createShipment(db, 'ord_missing')).toThrow(
      /createShipment\(\): there is no order ord_missing/,
    );
  });
});
