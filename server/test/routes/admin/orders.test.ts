import type { Product } from '@vitrine/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ADDRESS,
  createModelAndPrint,
  createProduct,
  intentIdOf,
  orderRow,
  postCheckout,
  rowsFor,
  startShop,
  waitFor,
  type CheckoutAnswer,
  type Shop,
} from '../../payments/shop.js';

describe('admin orders', () => {
  let shop: Shop;
  let model: Product;
  let print: Product;
  const admin = (path: string, init: RequestInit & { json?: unknown } = {}) =>
    shop.server.request(path, { ...init, admin: true });
  const json = async (res: Response | Promise<Response>): Promise<any> => (await res).json();
  const buy = async (email: string, physical = false): Promise<CheckoutAnswer> =>
    (
      await postCheckout(
        shop.server,
        physical
          ? { email, items: [{ productId: print.id, quantity: 1 }], shippingAddress: ADDRESS }
          : { email, items: [{ productId: model.id, quantity: 1 }] },
      )
    ).body;

  let paid: CheckoutAnswer;
  let pending: CheckoutAnswer;
  let shipped: CheckoutAnswer;
  beforeAll(async () => {
    shop = await startShop();
    ({ model, print } = await createModelAndPrint(shop.server, 10));
    paid = await buy('grace@example.com');
    await shop.fake.confirm(intentIdOf(paid.clientSecret), 'succeeded');
    pending = await buy('alan@example.com');
    shipped = await buy('Katherine@Example.com', true);
    await shop.fake.confirm(intentIdOf(shipped.clientSecret), 'succeeded');
  });
  afterAll(() => shop.close());

  describe('GET /api/admin/orders', () => {
    it('lists orders newest first', async () => {
      const res = await admin('/api/admin/orders');
      const { orders } = await json(res);

      expect(res.status).toBe(200);
      expect(orders.map((o: { orderId: string }) => o.orderId)).toEqual([
        shipped.orderId,
        pending.orderId,
        paid.orderId,
      ]);
      expect(orders[0]).toMatchObject({
        status: 'fulfilled',
        email: 'Katherine@Example.com',
        total: { amount: 3000, currency: 'eur' },
        fulfillmentType: 'physical_shipping',
        itemCount: 1,
        shipmentStatus: 'pending',
        attention: null,
      });
    });

    it('filters by status', async () => {
      const { orders } = await json(admin('/api/admin/orders?status=pending'));

      expect(orders.map((o: { orderId: string }) => o.orderId)).toEqual([pending.orderId]);
    });

    it('searches by email, case-insensitively, and by order id', async () => {
      const byEmail = await json(admin('/api/admin/orders?q=katherine@example'));
      const byId = await json(admin(`/api/admin/orders?q=${paid.orderId}`));

      expect(byEmail.orders.map((o: { orderId: string }) => o.orderId)).toEqual([shipped.orderId]);
      expect(byId.orders.map((o: { orderId: string }) => o.orderId)).toEqual([paid.orderId]);
    });

    it('refuses an unknown status filter', async () => {
      const res = await admin('/api/admin/orders?status=shipped');

      expect(res.status).toBe(400);
    });

    it('is closed without the admin token', async () => {
      const res = await shop.server.request('/api/admin/orders');

      expect(res.status).toBe(401);
    });
  });

  describe('GET /api/admin/orders/:orderId', () => {
    it('shows items, payments, downloads with their grant ids, and shipments', async () => {
      const res = await admin(`/api/admin/orders/${shipped.orderId}`);
      const body = await json(res);
      const digital = await json(admin(`/api/admin/orders/${paid.orderId}`));

      expect(res.status).toBe(200);
      expect(body).toMatchObject({
        orderId: shipped.orderId,
        status: 'fulfilled',
        paymentIntentId: intentIdOf(shipped.clientSecret),
        shippingAddress: { name: 'Ada Lovelace', country: 'DE' },
        shipments: [expect.objectContaining({ status: 'pending' })],
      });
      expect(body.items).toHaveLength(2);
      expect(body.payments).toEqual([
        expect.objectContaining({
          kind: 'payment_intent',
          providerRef: intentIdOf(shipped.clientSecret),
          status: 'succeeded',
          amount: 3000,
        }),
      ]);
      expect(body.paidAt).toEqual(expect.any(String));
      expect(digital.downloads).toEqual([
        expect.objectContaining({ grantId: expect.stringMatching(/^dlg_/), revoked: false }),
      ]);
    });

    it('answers 404 for an unknown order', async () => {
      const res = await admin('/api/admin/orders/ord_nope');

      expect(res.status).toBe(404);
    });
  });

  describe('POST /api/admin/orders/:orderId/refund', () => {
    it("asks Stripe for a full refund with the order's idempotency key and answers 202; the webhook does the rest", async () => {
      const res = await admin(`/api/admin/orders/${paid.orderId}/refund`, {
        method: 'POST',
        json: {},
      });
      const body = await json(res);

      expect(res.status).toBe(202);
      expect(body).toMatchObject({
        orderId: paid.orderId,
        refund: { status: 'succeeded', amount: 1200, currency: 'eur' },
      });
      const call = shop.fake.requestsTo('POST', '/v1/refunds').at(-1)!;
      expect(call.idempotencyKey).toBe(`refund:${paid.orderId}`);
      expect(call.params).toMatchObject({
        payment_intent: intentIdOf(paid.clientSecret),
        metadata: { order_id: paid.orderId },
      });
      await waitFor(() =>
        orderRow(shop.server, paid.orderId).status === 'refunded' ? true : undefined,
      );
      expect(
        rowsFor(
          shop.server,
          'SELECT revoked_reason FROM download_grants WHERE order_id = ?',
          paid.orderId,
        ),
      ).toEqual([{ revoked_reason: 'refunded' }]);
    });

    it('does not refund twice when the owner clicks again', async () => {
      const before = shop.fake.refunds.size;

      const res = await admin(`/api/admin/orders/${paid.orderId}/refund`, {
        method: 'POST',
        json: {},
      });

      expect(res.status).toBe(409);
      expect(shop.fake.refunds.size).toBe(before);
    });

    it('gets the same refund back when clicked twice before the webhook arrives', async () => {
      const other = await buy('hedy@example.com');
      await shop.fake.confirm(intentIdOf(other.clientSecret), 'succeeded');
      const before = shop.fake.refunds.size;
      shop.fake.autoWebhooks = false;
      try {
        const first = await json(
          admin(`/api/admin/orders/${other.orderId}/refund`, { method: 'POST', json: {} }),
        );
        const second = await json(
          admin(`/api/admin/orders/${other.orderId}/refund`, { method: 'POST', json: {} }),
        );

        expect(second.refund.id).toBe(first.refund.id);
        expect(shop.fake.refunds.size).toBe(before + 1);
        expect(orderRow(shop.server, other.orderId).status).toBe('fulfilled');
      } finally {
        shop.fake.autoWebhooks = true;
      }
    });

    it('answers 409 for an order that was never paid', async () => {
      const res = await admin(`/api/admin/orders/${pending.orderId}/refund`, {
        method: 'POST',
        json: {},
      });

      expect(res.status).toBe(409);
      expect((await json(res)).error.code).toBe('conflict');
      expect(
        shop.fake
          .requestsTo('POST', '/v1/refunds')
          .every((r) => r.params.payment_intent !== intentIdOf(pending.clientSecret)),
      ).toBe(true);
    });

    it('answers 502 when Stripe refuses the refund', async () => {
      const other = await buy('ed@example.com');
      await shop.fake.confirm(intentIdOf(other.clientSecret), 'succeeded');
      shop.fake.failNext({
        method: 'POST',
        path: '/v1/refunds',
        status: 400,
        type: 'invalid_request_error',
        message: 'refunds are paused',
      });

      const res = await admin(`/api/admin/orders/${other.orderId}/refund`, {
        method: 'POST',
        json: {},
      });

      expect(res.status).toBe(502);
      expect((await json(res)).error.message).toContain('refunds are paused');
      expect(orderRow(shop.server, other.orderId).status).toBe('fulfilled');
    });
  });
});
