import type { ProductType } from '@vitrine/shared';
import { now, writeTransaction, type Db } from '../../src/db/database.js';
import { newId, sha256Hex } from '../../src/ids.js';

/**
 * Test data for the physical side, written with plain SQL into the real schema. Used where a
 * test needs an order in a given state without going through checkout and Stripe.
 */

export interface TestProduct {
  id: string;
  name?: string;
  type?: ProductType;
  price?: number;
  stock?: number | null;
  weightGrams?: number;
  /** For digital and hybrid products: insert a model row so grants can be made. */
  withModel?: boolean;
}

export function insertProduct(
  db: Db,
  product: TestProduct,
): { id: string; modelId: string | null } {
  const at = now();
  const type = product.type ?? 'physical';
  db.prepare(
    `INSERT INTO products (id, slug, name, type, price_amount, currency, active, sku, weight_grams,
       stock, created_at, updated_at)
     VALUES (?, ?, ?, ?, ?, 'eur', 1, ?, ?, ?, ?, ?)`,
  ).run(
    product.id,
    product.id.toLowerCase().replace(/[^a-z0-9]+/g, '-'),
    product.name ?? `Product ${product.id}`,
    type,
    product.price ?? 1500,
    type === 'digital' ? null : `SKU-${product.id}`,
    type === 'digital' ? null : (product.weightGrams ?? 300),
    product.stock === undefined ? null : product.stock,
    at,
    at,
  );
  if (!product.withModel) return { id: product.id, modelId: null };

  const modelId = newId('mdl');
  db.prepare(
    `INSERT INTO models (id, product_id, sha256, bytes, original_path, original_filename, facts_json, created_at)
     VALUES (?, ?, ?, 1664, ?, 'box.glb', '{}', ?)`,
  ).run(modelId, product.id, 'a'.repeat(64), `${'a'.repeat(64)}.glb`, at);
  db.prepare('UPDATE products SET model_id = ? WHERE id = ?').run(modelId, product.id);
  return { id: product.id, modelId };
}

export interface TestOrderLine {
  productId: string;
  quantity: number;
}

export interface TestOrder {
  id: string;
  key: string;
}

/** A pending order with product lines priced from the products table and an optional shipping line. */
export function insertOrder(
  db: Db,
  options: {
    email?: string;
    lines: TestOrderLine[];
    status?: string;
    shippingAmount?: number;
    createdAt?: string;
    expiresAt?: string | null;
    paymentIntentId?: string | null;
    address?: Record<string, string>;
  },
): TestOrder {
  return writeTransaction(db, () => {
    const id = newId('ord');
    const key = newId('key', 24);
    const at = options.createdAt ?? now();
    const products = options.lines.map((line) => {
      const row = db.prepare('SELECT * FROM products WHERE id = ?').get(line.productId) as {
        id: string;
        name: string;
        type: ProductType;
        price_amount: number;
        model_id: string | null;
      };
      return { ...row, quantity: line.quantity };
    });
    const types = new Set(products.map((p) => p.type));
    const fulfillment = [...types].every((t) => t === 'digital')
      ? 'digital_download'
      : [...types].every((t) => t === 'physical')
        ? 'physical_shipping'
        : 'digital_and_physical';
    const goods = products.reduce((sum, p) => sum + p.price_amount * p.quantity, 0);
    const total = goods + (options.shippingAmount ?? 0);
    const address =
      fulfillment === 'digital_download'
        ? null
        : JSON.stringify(
            options.address ?? {
              name: 'Ada Lovelace',
              line1: '1 Analytical St',
              city: 'Berlin',
              postalCode: '10115',
              country: 'DE',
            },
          );

    db.prepare(
      `INSERT INTO orders (id, key_hash, email, status, currency, total_amount, fulfillment_type,
         product_type, content_hash, payment_intent_id, shipping_address_json, created_at,
         updated_at, expires_at)
       VALUES (?, ?, ?, ?, 'eur', ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ).run(
      id,
      sha256Hex(key),
      options.email ?? 'ada@example.test',
      options.status ?? 'pending',
      total,
      fulfillment,
      types.size === 1 ? [...types][0] : 'mixed',
      sha256Hex(id),
      options.paymentIntentId ?? null,
      address,
      at,
      at,
      options.expiresAt === undefined ? null : options.expiresAt,
    );
    const item = db.prepare(
      `INSERT INTO order_items (id, order_id, position, kind, product_id, product_type, model_id, name,
         quantity, unit_amount, amount)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    products.forEach((p, index) => {
      item.run(
        newId('oi'),
        id,
        index,
        'product',
        p.id,
        p.type,
        p.model_id,
        p.name,
        p.quantity,
        p.price_amount,
        p.price_amount * p.quantity,
      );
    });
    if (options.shippingAmount !== undefined) {
      item.run(
        newId('oi'),
        id,
        products.length,
        'shipping',
        null,
        null,
        null,
        'Shipping to DE (flat rate)',
        1,
        options.shippingAmount,
        options.shippingAmount,
      );
    }
    return { id, key };
  });
}

export function orderStatus(db: Db, orderId: string): string {
  return db.prepare('SELECT status FROM orders WHERE id = ?').pluck().get(orderId) as string;
}

export function productStock(db: Db, productId: string): number | null {
  return db.prepare('SELECT stock FROM products WHERE id = ?').pluck().get(productId) as
    number | null;
}
