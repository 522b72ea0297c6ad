import type { Product } from '@vitrine/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expirePendingOrders } from '../src/services/background.js';
import { drainOutbox } from '../src/services/outbox.js';
import { startTestServer } from './helpers/app.js';
import { startTestSmtp, type TestSmtp } from './helpers/smtp.js';
import {
  ADDRESS,
  TEST_KEYS,
  createProduct,
  getOrder,
  intentIdOf,
  postCheckout,
  rowsFor,
  startShop,
  waitFor,
  type Shop,
} from './payments/shop.js';

/**
 * The physical side end to end through the real parts: checkout prices shipping and takes
 * stock, the Stripe fake's signed webhook fulfils (stock committed, shipment opened, receipt
 * queued), the owner ships over the admin API, and every email arrives at a real SMTP server.
 */
describe('a physical order from checkout to delivery', () => {
  let shop: Shop;
  let mail: TestSmtp;
  let lamp: Product;
  let figure: Product;

  beforeAll(async () => {
    mail = await startTestSmtp();
    shop = await startShop({
      SMTP_URL: mail.url,
      SHIPPING_MODE: 'weight',
      SHIPPING_WEIGHT_BANDS: '500:490,2000:990',
      SHIPPING_COUNTRIES: 'DE,FR',
      STORE_NAME: 'Flow Shop',
    });
    lamp = await createProduct(shop.server, {
      name: 'Brass lamp',
      type: 'physical',
      price: 4200,
      physical: { sku: 'LAMP-1', weightGrams: 700, stock: 3 },
    });
    figure = await createProduct(shop.server, {
      name: 'Fox figure',
      type: 'hybrid',
      price: 3000,
      physical: { sku: 'FOX-1', weightGrams: 200, stock: null },
    });
  });
  afterAll(async () => {
    await shop.close();
    await mail.close();
  });

  const stockOf = (id: string) =>
    rowsFor(shop.server, 'SELECT stock FROM products WHERE id = ?', id)[0].stock as number | null;
  const messagesFor = (orderId: string) => mail.messages.filter((m) => m.subject.includes(orderId));

  it('prices shipping by weight, takes stock, and after payment sends a receipt, a shipped and a delivered email', async () => {
    const context = shop.server.app.locals.context;

    const checkout = await postCheckout(shop.server, {
      email: 'flow@example.test',
      items: [
        { productId: lamp.id, quantity: 1 },
        { productId: figure.id, quantity: 2 },
      ],
      shippingAddress: ADDRESS,
    });
    expect(checkout.status).toBe(201);
    // 700 g + 2 × 200 g = 1.1 kg → the 2 kg band.
    expect(checkout.body.total).toEqual({ amount: 4200 + 6000 + 990, currency: 'eur' });
    expect(stockOf(lamp.id)).toBe(2);
    expect(stockOf(figure.id)).toBeNull();

    await shop.fake.confirm(intentIdOf(checkout.body.clientSecret), 'succeeded');
    const orderId = checkout.body.orderId as string;
    const shipmentRow = await waitFor(
      () => rowsFor(shop.server, 'SELECT * FROM shipments WHERE order_id = ?', orderId)[0],
    );
    expect(shipmentRow.status).toBe('pending');
    expect(
      rowsFor(shop.server, 'SELECT state FROM stock_reservations WHERE order_id = ?', orderId),
    ).toEqual([{ state: 'committed' }]);
    expect(stockOf(lamp.id)).toBe(2);

    await drainOutbox(context);
    const [receipt] = await mail
      .waitFor(() => messagesFor(orderId).length === 1)
      .then(() => messagesFor(orderId));
    expect(receipt!.to).toBe('flow@example.test');
    expect(receipt!.text).toContain('Brass lamp  × 1  €42.00');
    expect(receipt!.text).toContain('Fox figure  × 2  €60.00');
    expect(receipt!.text).toContain('Total  €111.90');
    expect(receipt!.text).toContain('We are preparing your parcel.');
    expect(receipt!.text).toMatch(new RegExp(`${shop.server.url}/api/downloads/\\S+`));

    const pageLink = new URL(receipt!.text.match(/http:\/\/\S+\/orders\/\?id=\S+/)![0]);
    const emailedKey = decodeURIComponent(pageLink.hash.slice('#key='.length));
    const before = await getOrder(shop.server, orderId, emailedKey);
    expect(before.status).toBe(200);
    expect(before.body.shipments).toMatchObject([{ status: 'pending', trackingUrl: null }]);

    const shipped = await shop.server.request(`/api/admin/orders/${orderId}/shipment`, {
      method: 'PATCH',
      admin: true,
      json: { status: 'shipped', carrier: 'dpd', trackingNumber: '01234567890123' },
    });
    const delivered = await shop.server.request(`/api/admin/orders/${orderId}/shipment`, {
      method: 'PATCH',
      admin: true,
      json: { status: 'delivered' },
    });
    await drainOutbox(context);
    await mail.waitFor(() => messagesFor(orderId).length === 3);
    await drainOutbox(context);

    expect(shipped.status).toBe(200);
    expect(delivered.status).toBe(200);
    const after = await getOrder(shop.server, checkout.body.orderId, checkout.body.orderKey);
    expect(after.body.shipments).toMatchObject([
      {
        status: 'delivered',
        carrier: 'dpd',
        trackingNumber: '01234567890123',
        trackingUrl: 'https://tracking.dpd.de/status/en_US/parcel/01234567890123',
      },
    ]);
    const subjects = messagesFor(orderId).map((m) => m.subject);
    expect(subjects).toEqual([
      `Your receipt from Flow Shop (order ${orderId})`,
      `Your order from Flow Shop has shipped (order ${orderId})`,
      `Your order from Flow Shop was delivered (order ${orderId})`,
    ]);
    expect(messagesFor(orderId)[1]!.text).toContain(
      'Track your parcel: https://tracking.dpd.de/status/en_US/parcel/01234567890123',
    );
  });

  it('refuses checkout to a country the store does not ship to, and takes no stock', async () => {
    const before = stockOf(lamp.id);

    const checkout = await postCheckout(shop.server, {
      items: [{ productId: lamp.id, quantity: 1 }],
      shippingAddress: { ...ADDRESS, country: 'JP' },
    });

    expect(checkout.status).toBe(422);
    expect(checkout.body.error.code).toBe('shipping_unavailable');
    expect(checkout.body.error.message).toContain('DE, FR');
    expect(stockOf(lamp.id)).toBe(before);
  });

  it('gives an unpaid order its stock back when it expires, and cancels its PaymentIntent at Stripe', async () => {
    const before = stockOf(lamp.id)!;
    const checkout = await postCheckout(shop.server, {
      items: [{ productId: lamp.id, quantity: 1 }],
      shippingAddress: ADDRESS,
    });
    expect(stockOf(lamp.id)).toBe(before - 1);

    const later = new Date(Date.now() + 2 * 60 * 60_000);
    const canceled = await expirePendingOrders(shop.server.app.locals.context, later);

    expect(canceled).toContain(checkout.body.orderId);
    expect(stockOf(lamp.id)).toBe(before);
    expect(shop.fake.paymentIntents.get(intentIdOf(checkout.body.clientSecret))!.status).toBe(
      'canceled',
    );
    expect(
      (await getOrder(shop.server, checkout.body.orderId, checkout.body.orderKey)).body.status,
    ).toBe('canceled');
  });

  it('sells the last units once across two app instances on the same database', async () => {
    const last = await createProduct(shop.server, {
      name: 'Last vase',
      type: 'physical',
      price: 2000,
      physical: { sku: 'VASE-1', weightGrams: 300, stock: 2 },
    });
    const second = await startTestServer(
      {
        ...TEST_KEYS,
        STRIPE_API_BASE: shop.fake.url,
        STORE_CURRENCY: 'eur',
        SHIPPING_COUNTRIES: 'DE,FR',
      },
      { dataDir: shop.server.dataDir },
    );
    try {
      const servers = [shop.server, second];

      const answers = await Promise.all(
        Array.from({ length: 8 }, (_, i) =>
          postCheckout(servers[i % 2]!, {
            email: `buyer${i}@example.test`,
            items: [{ productId: last.id, quantity: 1 }],
            shippingAddress: ADDRESS,
          }),
        ),
      );

      expect(answers.map((a) => a.status).sort()).toEqual([201, 201, 409, 409, 409, 409, 409, 409]);
      expect(stockOf(last.id)).toBe(0);
      expect(
        rowsFor(
          shop.server,
          `SELECT SUM(quantity) AS n FROM stock_reservations WHERE product_id = ?`,
          last.id,
        )[0].n,
      ).toBe(2);
    } finally {
      await second.close();
    }
  });
});
