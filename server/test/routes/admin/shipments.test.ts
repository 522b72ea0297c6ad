import type { Shipment } from '@vitrine/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeTransaction } from '../../../src/db/database.js';
import { createShipment } from '../../../src/services/shipments.js';
import { startTestServer, type TestServer } from '../../helpers/app.js';
import { insertOrder, insertProduct } from '../../helpers/physical-orders.js';

interface ErrorBody {
  error: { code: string; message: string };
}

async function errorOf(res: Response): Promise<ErrorBody['error']> {
  return ((await res.json()) as ErrorBody).error;
}

async function shipmentOf(res: Response): Promise<Shipment> {
  return (await res.json()) as Shipment;
}

describe('PATCH /api/admin/orders/:orderId/shipment', () => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startTestServer();
    insertProduct(server.app.locals.context.db, { id: 'mug', stock: 50 });
  });
  afterAll(() => server.close());

  /** A paid order with a pending shipment, as fulfilment leaves it. */
  function paidOrder(): string {
    const { db } = server.app.locals.context;
    const order = insertOrder(db, {
      lines: [{ productId: 'mug', quantity: 1 }],
      status: 'paid',
      shippingAmount: 500,
    });
    writeTransaction(db, () => createShipment(db, order.id));
    return order.id;
  }

  function patch(orderId: string, json: unknown) {
    return server.request(`/api/admin/orders/${orderId}/shipment`, {
      method: 'PATCH',
      admin: true,
      json,
    });
  }

  function outboxKeys(): string[] {
    return server.app.locals.context.db
      .prepare('SELECT dedupe_key FROM outbox ORDER BY created_at')
      .pluck()
      .all() as string[];
  }

  it('moves a shipment pending → packed → shipped → delivered, with history, timestamps and a tracking link', async () => {
    const orderId = paidOrder();

    const packed = await patch(orderId, { status: 'packed' });
    const shipped = await patch(orderId, {
      status: 'shipped',
      carrier: 'DHL',
      trackingNumber: 'JD0146 0000 1234',
    });
    const delivered = await patch(orderId, { status: 'delivered' });

    expect(packed.status).toBe(200);
    expect(shipped.status).toBe(200);
    expect(delivered.status).toBe(200);
    const body = await shipmentOf(delivered);
    expect(body).toMatchObject({
      status: 'delivered',
      carrier: 'dhl',
      trackingNumber: 'JD0146 0000 1234',
      trackingUrl:
        'https://www.dhl.com/global-en/home/tracking/tracking-parcel.html?submit=1&tracking-id=JD0146%200000%201234',
    });
    expect(body.history?.map((h) => [h.from, h.to, h.by])).toEqual([
      [null, 'pending', 'system'],
      ['pending', 'packed', 'admin'],
      ['packed', 'shipped', 'admin'],
      ['shipped', 'delivered', 'admin'],
    ]);
    const row = server.app.locals.context.db
      .prepare(
        'SELECT packed_at, shipped_at, delivered_at, returned_at FROM shipments WHERE order_id = ?',
      )
      .get(orderId) as Record<string, string | null>;
    expect(row.packed_at).toMatch(/^\d{4}-\d{2}-\d{2}T/);
    expect(row.shipped_at! >= row.packed_at!).toBe(true);
    expect(row.delivered_at! >= row.shipped_at!).toBe(true);
    expect(row.returned_at).toBeNull();
  });

  it('allows skipping forward from pending straight to shipped', async () => {
    const orderId = paidOrder();

    const res = await patch(orderId, {
      status: 'shipped',
      carrier: 'ups',
      trackingNumber: '1Z999AA10123456784',
    });

    expect(res.status).toBe(200);
    expect(await shipmentOf(res)).toMatchObject({
      status: 'shipped',
      trackingUrl: 'https://www.ups.com/track?tracknum=1Z999AA10123456784',
    });
  });

  it('answers 409 invalid_transition for a move backwards', async () => {
    const orderId = paidOrder();
    await patch(orderId, { status: 'shipped', carrier: 'gls', trackingNumber: '123' });

    const res = await patch(orderId, { status: 'packed' });

    expect(res.status).toBe(409);
    const error = await errorOf(res);
    expect(error.code).toBe('invalid_transition');
    expect(error.message).toContain('it is shipped and cannot go back to packed');
  });

  it('answers 409 for a return before the parcel left, and allows it after', async () => {
    const orderId = paidOrder();

    const early = await patch(orderId, { status: 'returned' });
    await patch(orderId, { status: 'shipped', carrier: 'postnl', trackingNumber: '3SABCD1234567' });
    const late = await patch(orderId, { status: 'returned' });
    const again = await patch(orderId, { status: 'delivered' });

    expect(early.status).toBe(409);
    expect((await errorOf(early)).message).toContain('cannot be returned');
    expect(late.status).toBe(200);
    expect((await shipmentOf(late)).status).toBe('returned');
    expect(again.status).toBe(409);
    expect((await errorOf(again)).message).toContain('returned shipment does not move again');
  });

  it('answers 400 when shipped comes without a carrier or tracking number, and does not move', async () => {
    const orderId = paidOrder();

    const noTracking = await patch(orderId, { status: 'shipped', carrier: 'dhl' });
    const noCarrier = await patch(orderId, { status: 'shipped', trackingNumber: '123' });
    const after = await patch(orderId, { status: 'packed' });

    expect(noTracking.status).toBe(400);
    expect((await errorOf(noTracking)).message).toContain(
      'needs the carrier and the tracking number',
    );
    expect(noCarrier.status).toBe(400);
    expect(after.status).toBe(200);
  });

  it('keeps an unknown carrier as written, with no tracking link', async () => {
    const orderId = paidOrder();

    const res = await patch(orderId, {
      status: 'shipped',
      carrier: 'Bike Courier Ltd',
      trackingNumber: 'B-77',
    });

    expect(await shipmentOf(res)).toMatchObject({
      carrier: 'Bike Courier Ltd',
      trackingNumber: 'B-77',
      trackingUrl: null,
    });
  });

  it('lets the owner correct a tracking number without a second email, and refuses a no-op', async () => {
    const orderId = paidOrder();
    const first = (await (
      await patch(orderId, { status: 'shipped', carrier: 'royal mail', trackingNumber: 'AB1' })
    ).json()) as Shipment;

    const corrected = await patch(orderId, { status: 'shipped', trackingNumber: 'AB123456789GB' });
    const noop = await patch(orderId, { status: 'shipped' });

    expect(first.carrier).toBe('royal-mail');
    expect(corrected.status).toBe(200);
    expect((await shipmentOf(corrected)).trackingUrl).toBe(
      'https://www.royalmail.com/track-your-item#/tracking-results/AB123456789GB',
    );
    expect(noop.status).toBe(409);
    expect(outboxKeys().filter((k) => k === `shipment:${first.id}:shipped`)).toHaveLength(1);
  });

  it('queues one email on shipped and one on delivered, none on packed or returned', async () => {
    const orderId = paidOrder();
    const before = outboxKeys().length;

    await patch(orderId, { status: 'packed' });
    const shipped = (await (
      await patch(orderId, { status: 'shipped', carrier: 'fedex', trackingNumber: '7946' })
    ).json()) as Shipment;
    await patch(orderId, { status: 'delivered' });
    await patch(orderId, { status: 'returned' });

    expect(outboxKeys().slice(before)).toEqual([
      `shipment:${shipped.id}:shipped`,
      `shipment:${shipped.id}:delivered`,
    ]);
  });

  it('answers 404 for an order without a shipment and for an unknown order', async () => {
    const { db } = server.app.locals.context;
    const unshipped = insertOrder(db, {
      lines: [{ productId: 'mug', quantity: 1 }],
      status: 'paid',
    });

    const res = await patch(unshipped.id, { status: 'packed' });
    const unknown = await patch('ord_nope', { status: 'packed' });

    expect(res.status).toBe(404);
    expect((await errorOf(res)).code).toBe('not_found');
    expect(unknown.status).toBe(404);
  });

  it('answers 400 for a status that does not exist and for unknown fields', async () => {
    const orderId = paidOrder();

    const badStatus = await patch(orderId, { status: 'lost' });
    const extra = await patch(orderId, { status: 'packed', note: 'fragile' });

    expect(badStatus.status).toBe(400);
    expect((await errorOf(badStatus)).code).toBe('invalid_request');
    expect(extra.status).toBe(400);
  });

  it('refuses the request without the admin token', async () => {
    const orderId = paidOrder();

    const res = await server.request(`/api/admin/orders/${orderId}/shipment`, {
      method: 'PATCH',
      json: { status: 'packed' },
    });

    expect(res.status).toBe(401);
  });
});
