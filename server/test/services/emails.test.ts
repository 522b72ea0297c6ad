import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeTransaction } from '../../src/db/database.js';
import { sha256Hex } from '../../src/ids.js';
import { createGrants, revokeGrants } from '../../src/services/downloads.js';
import {
  escapeHtml,
  isIssuedOrderKey,
  orderPageUrl,
  queueReceipt,
  queueRefundNotice,
} from '../../src/services/emails.js';
import { drainOutbox } from '../../src/services/outbox.js';
import { createShipment } from '../../src/services/shipments.js';
import { startTestServer, type TestServer } from '../helpers/app.js';
import { insertOrder, insertProduct } from '../helpers/physical-orders.js';
import { startTestSmtp, type ReceivedMail, type TestSmtp } from '../helpers/smtp.js';

let server: TestServer;
let mail: TestSmtp;

beforeAll(async () => {
  mail = await startTestSmtp();
  server = await startTestServer({
    SMTP_URL: mail.url,
    STORE_NAME: 'Atelier <Nord>',
    MAIL_FROM: 'shop@atelier.test',
    DOWNLOAD_LIMIT: '3',
  });
  const { db } = server.app.locals.context;
  insertProduct(db, {
    id: 'fox-model',
    name: 'Fox model',
    type: 'digital',
    price: 1200,
    withModel: true,
  });
  insertProduct(db, {
    id: 'fox-figure',
    name: 'Fox figure & <stand>',
    type: 'hybrid',
    price: 3500,
    stock: 10,
    withModel: true,
  });
  insertProduct(db, { id: 'mug', name: 'Enamel mug', type: 'physical', price: 900, stock: 10 });
});
afterAll(async () => {
  await server.close();
  await mail.close();
});

/** Pays an order the way fulfilment does: grants, shipment, receipt in one transaction. */
function fulfil(orderId: string): void {
  const context = server.app.locals.context;
  writeTransaction(context.db, () => {
    context.db
      .prepare(`UPDATE orders SET status = 'fulfilled', paid_at = ? WHERE id = ?`)
      .run(new Date().toISOString(), orderId);
    createGrants(context, orderId);
    const physical = context.db
      .prepare(
        "SELECT 1 FROM order_items WHERE order_id = ? AND product_type IN ('physical', 'hybrid')",
      )
      .get(orderId);
    if (physical) createShipment(context.db, orderId);
    queueReceipt(context, orderId);
  });
}

async function deliveredFor(orderId: string, count = 1): Promise<ReceivedMail[]> {
  await drainOutbox(server.app.locals.context);
  const messages = await mail.waitFor(
    (all) => all.filter((m) => m.subject.includes(orderId)).length >= count,
  );
  return messages.filter((m) => m.subject.includes(orderId));
}

function linksIn(text: string): string[] {
  return text.match(/https?:\/\/\S+/g) ?? [];
}

describe('orderPageUrl()', () => {
  it('puts the order id in the query and the key in the fragment', () => {
    expect(orderPageUrl({ publicUrl: 'https://shop.example' }, 'ord_abc', 'okey_x/y')).toBe(
      'https://shop.example/orders/?id=ord_abc#key=okey_x%2Fy',
    );
  });
});

describe('escapeHtml()', () => {
  it('escapes the five characters that matter in content and attributes', () => {
    expect(escapeHtml(`<a href="x">Tom's & Jerry's</a>`)).toBe(
      '&lt;a href=&quot;x&quot;&gt;Tom&#39;s &amp; Jerry&#39;s&lt;/a&gt;',
    );
  });
});

describe('queueReceipt()', () => {
  it('sends a receipt with items, the formatted total, download links, a shipping note and the order page', async () => {
    const { db } = server.app.locals.context;
    const order = insertOrder(db, {
      email: 'ada@example.test',
      lines: [
        { productId: 'fox-model', quantity: 1 },
        { productId: 'fox-figure', quantity: 2 },
      ],
      shippingAmount: 490,
    });
    fulfil(order.id);

    const [receipt] = await deliveredFor(order.id);

    expect(receipt!.to).toBe('ada@example.test');
    expect(receipt!.subject).toBe(`Your receipt from Atelier <Nord> (order ${order.id})`);
    expect(receipt!.parsed.from?.value).toEqual([
      { address: 'shop@atelier.test', name: 'Atelier <Nord>' },
    ]);
    const text = receipt!.text;
    expect(text).toContain('Fox model  × 1  €12.00');
    expect(text).toContain('Fox figure & <stand>  × 2  €70.00');
    expect(text).toContain('Shipping to DE (flat rate)  €4.90');
    expect(text).toContain('Total  €86.90');
    expect(text).toMatch(
      /Link valid until \w{3} \d{1,2}, \d{4}, \d{2}:\d{2} UTC, 3 downloads left\./,
    );
    expect(text).toContain('We will ship to: Ada Lovelace, 1 Analytical St, 10115 Berlin, DE.');
    expect(text).toContain('You will get another email with the tracking number when it ships.');
    const links = linksIn(text);
    const downloads = links.filter((l) => l.startsWith(`${server.url}/api/downloads/`));
    expect(downloads).toHaveLength(2);
    const page = links.find((l) => l.startsWith(`${server.url}/orders/?id=${order.id}#key=`));
    expect(page).toBeDefined();
    const key = decodeURIComponent(page!.split('#key=')[1]!);
    expect(isIssuedOrderKey(db, order.id, key)).toBe(true);
    expect(sha256Hex(key)).not.toBe(sha256Hex(order.key));
  });

  it('escapes every interpolated value in the HTML part', async () => {
    const { db } = server.app.locals.context;
    const order = insertOrder(db, {
      lines: [{ productId: 'fox-figure', quantity: 1 }],
      shippingAmount: 0,
    });
    fulfil(order.id);

    const [receipt] = await deliveredFor(order.id);

    expect(receipt!.html).toContain('Fox figure &amp; &lt;stand&gt;');
    expect(receipt!.html).toContain('Atelier &lt;Nord&gt;');
    expect(receipt!.html).not.toContain('<stand>');
    expect(receipt!.html).not.toContain('<Nord>');
    const hrefs = [...receipt!.html.matchAll(/href="([^"]+)"/g)].map((m) =>
      m[1]!.replace(/&amp;/g, '&'),
    );
    expect(hrefs.some((h) => h.startsWith(`${server.url}/api/downloads/`))).toBe(true);
    expect(hrefs.some((h) => h.startsWith(`${server.url}/orders/?id=${order.id}#key=`))).toBe(true);
  });

  it('sends a digital-only receipt without a shipping section', async () => {
    const { db } = server.app.locals.context;
    const order = insertOrder(db, { lines: [{ productId: 'fox-model', quantity: 1 }] });
    fulfil(order.id);

    const [receipt] = await deliveredFor(order.id);

    expect(receipt!.text).toContain('Your downloads');
    expect(receipt!.text).not.toContain('Shipping');
  });

  it('queues one receipt and issues one key however often fulfilment runs', async () => {
    const context = server.app.locals.context;
    const order = insertOrder(context.db, {
      lines: [{ productId: 'mug', quantity: 1 }],
      shippingAmount: 500,
    });

    fulfil(order.id);
    fulfil(order.id);
    writeTransaction(context.db, () => queueReceipt(context, order.id));
    await deliveredFor(order.id);
    await drainOutbox(context);

    expect(mail.messages.filter((m) => m.subject.includes(order.id))).toHaveLength(1);
    expect(
      context.db
        .prepare('SELECT COUNT(*) FROM order_keys WHERE order_id = ?')
        .pluck()
        .get(order.id),
    ).toBe(1);
  });
});

describe('queueRefundNotice()', () => {
  it('states a partial refund from the payments table and keeps the downloads', async () => {
    const context = server.app.locals.context;
    const order = insertOrder(context.db, {
      email: 'partial@example.test',
      lines: [{ productId: 'fox-model', quantity: 2 }],
    });
    fulfil(order.id);
    await deliveredFor(order.id);

    writeTransaction(context.db, () => {
      context.db
        .prepare(
          `INSERT INTO payments (id, order_id, provider_ref, kind, status, amount, currency, created_at, updated_at)
           VALUES ('pay_partial', ?, 'ch_partial', 'refund', 'succeeded', 500, 'eur', ?, ?)`,
        )
        .run(order.id, new Date().toISOString(), new Date().toISOString());
      queueRefundNotice(context, order.id);
    });
    const messages = await deliveredFor(order.id, 2);

    const refund = messages.find((m) => m.subject.startsWith('Refund'));
    expect(refund!.text).toContain(`Atelier <Nord> has refunded €5.00 for order ${order.id}.`);
    expect(refund!.text).toContain(
      "This is a partial refund of the order's €24.00; the rest of your order stands.",
    );
    expect(refund!.text).not.toContain('no longer work');
  });

  it('tells the customer the refunded amount and that the download links stopped working', async () => {
    const context = server.app.locals.context;
    const order = insertOrder(context.db, {
      email: 'refund@example.test',
      lines: [{ productId: 'fox-model', quantity: 2 }],
    });
    fulfil(order.id);
    await deliveredFor(order.id);

    writeTransaction(context.db, () => {
      context.db.prepare(`UPDATE orders SET status = 'refunded' WHERE id = ?`).run(order.id);
      revokeGrants(context.db, order.id, 'refunded');
      queueRefundNotice(context, order.id);
      queueRefundNotice(context, order.id);
    });
    const messages = await deliveredFor(order.id, 2);

    const refund = messages.find((m) => m.subject.startsWith('Refund'));
    expect(messages).toHaveLength(2);
    expect(refund!.to).toBe('refund@example.test');
    expect(refund!.text).toContain(`Atelier <Nord> has refunded €24.00 for order ${order.id}.`);
    expect(refund!.text).toContain('The download links of this order no longer work.');
  });
});

describe('shipment emails', () => {
  it('sends the shipped email with the tracking link exactly once, and a delivered email', async () => {
    const context = server.app.locals.context;
    const order = insertOrder(context.db, {
      email: 'ship@example.test',
      lines: [{ productId: 'mug', quantity: 1 }],
      shippingAmount: 500,
    });
    fulfil(order.id);
    const patch = (json: unknown) =>
      server.request(`/api/admin/orders/${order.id}/shipment`, {
        method: 'PATCH',
        admin: true,
        json,
      });

    await patch({ status: 'shipped', carrier: 'usps', trackingNumber: '9400111899223856920000' });
    await patch({ status: 'shipped', trackingNumber: '9400111899223856920001' });
    await patch({ status: 'delivered' });
    const messages = await deliveredFor(order.id, 3);
    await drainOutbox(context);

    const shipped = mail.messages.filter(
      (m) => m.subject.includes(order.id) && m.subject.includes('has shipped'),
    );
    const delivered = mail.messages.filter(
      (m) => m.subject.includes(order.id) && m.subject.includes('was delivered'),
    );
    expect(messages).toHaveLength(3);
    expect(shipped).toHaveLength(1);
    expect(delivered).toHaveLength(1);
    const trackingUrl =
      'https://tools.usps.com/go/TrackConfirmAction?tLabels=9400111899223856920000';
    expect(shipped[0]!.text).toContain('Carrier: USPS. Tracking number: 9400111899223856920000.');
    expect(linksIn(shipped[0]!.text).filter((l) => l === trackingUrl)).toHaveLength(1);
    expect(shipped[0]!.html.split(escapeHtml(trackingUrl)).length - 1).toBe(1);
    expect(delivered[0]!.text).toContain(
      `Your order ${order.id} from Atelier <Nord> has been delivered.`,
    );
  });
});
