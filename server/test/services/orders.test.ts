import type { Product } from '@vitrine/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findOrderByKey, listOrders, markOrderStatus } from '../../src/services/orders.js';
import {
  createProduct,
  orderRow,
  postCheckout,
  startShop,
  type CheckoutAnswer,
  type Shop,
} from '../payments/shop.js';

describe('orders service', () => {
  let shop: Shop;
  let model: Product;
  let order: CheckoutAnswer;
  const db = () => shop.server.app.locals.context.db;
  beforeAll(async () => {
    shop = await startShop();
    model = await createProduct(shop.server, { name: 'Box model', type: 'digital', price: 1200 });
    order = (
      await postCheckout(shop.server, {
        items: [{ productId: model.id, quantity: 1 }],
        email: 'underxscore@example.com',
      })
    ).body;
  });
  afterAll(() => shop.close());

  describe('markOrderStatus()', () => {
    it('moves only from the named statuses', () => {
      expect(markOrderStatus(db(), order.orderId, 'canceled', ['fulfilled'])).toBe(false);
      expect(orderRow(shop.server, order.orderId).status).toBe('pending');
    });

    it('throws at once for an unknown status or an empty from list', () => {
      expect(() => markOrderStatus(db(), order.orderId, 'shipped' as never, ['pending'])).toThrow(
        /markOrderStatus\(\): unknown status "shipped"/,
      );
      expect(() => markOrderStatus(db(), order.orderId, 'failed', [])).toThrow(
        /at least one status/,
      );
    });
  });

  describe('findOrderByKey()', () => {
    it('opens the order with its key only', () => {
      expect(findOrderByKey(db(), order.orderId, order.orderKey)?.id).toBe(order.orderId);
      expect(findOrderByKey(db(), order.orderId, `${order.orderKey}x`)).toBeUndefined();
      expect(findOrderByKey(db(), order.orderId, undefined)).toBeUndefined();
      expect(findOrderByKey(db(), 'ord_unknown', order.orderKey)).toBeUndefined();
    });

    it('runs the same queries for an unknown id as for a wrong key, so timing does not tell them apart', () => {
      const statements = (orderId: string, key: string | undefined) => {
        const seen: string[] = [];
        const real = db();
        const spy = new Proxy(real, {
          get(target, property) {
            if (property === 'prepare') {
              return (sql: string) => {
                seen.push(sql.replace(/\s+/g, ' ').trim());
                return target.prepare(sql);
              };
            }
            const value = Reflect.get(target, property, target);
            return typeof value === 'function' ? value.bind(target) : value;
          },
        });
        expect(findOrderByKey(spy, orderId, key)).toBeUndefined();
        return seen;
      };
      const wrongKey = 'okey_not-the-key-of-any-order-at-all';

      const forWrongKey = statements(order.orderId, wrongKey);

      expect(statements('ord_AAAAAAAAAAAAAAAAAAAAAA', wrongKey)).toEqual(forWrongKey);
      expect(statements(order.orderId, undefined)).toEqual(forWrongKey);
    });

    it('stores only the sha256 of the key', () => {
      const row = orderRow(shop.server, order.orderId);

      expect(row.key_hash).toMatch(/^[0-9a-f]{64}$/);
      expect(JSON.stringify(row)).not.toContain(order.orderKey);
    });
  });

  describe('listOrders()', () => {
    it('treats LIKE wildcards in the search as plain characters', () => {
      expect(listOrders(db(), { q: 'UnderXScore' }).map((o) => o.orderId)).toEqual([order.orderId]);
      expect(listOrders(db(), { q: 'under_score' })).toEqual([]);
      expect(listOrders(db(), { q: '%' })).toEqual([]);
    });
  });
});
