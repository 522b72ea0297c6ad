import { VitrineError } from '@vitrine/shared';
import { now, type Db } from '../db/database.js';

/** A cart line that may take stock. */
export interface StockLine {
  productId: string;
  quantity: number;
}

/** Result of {@link commitStock}: units that could not be taken again after a release. */
export interface StockCommitResult {
  committed: number;
  shortfalls: { productId: string; quantity: number; available: number }[];
}

interface ReservationRow {
  product_id: string;
  quantity: number;
  state: 'reserved' | 'committed' | 'released';
}

/**
 * Takes stock for a pending order. Runs inside the caller's write transaction (the one that
 * creates the order), so a throw rolls back every unit this call already took.
 *
 * Each decrement is a guarded `UPDATE … WHERE stock >= ?`: even if two writers ever ran at
 * once, the database refuses the one that would take the stock below zero. SQLite's
 * `BEGIN IMMEDIATE` already serialises writers; the guard keeps the rule true on PostgreSQL.
 *
 * Products with unlimited stock (`stock IS NULL`) are never decremented and get no reservation
 * row: a reservation row always means "these units were taken from `products.stock`", which is
 * what makes {@link releaseStock} exact. Calling it again for the same order and product is a
 * no-op.
 *
 * @throws VitrineError `out_of_stock` (409) naming the product and how many are left;
 *   `not_found` when a product id does not exist.
 */
export function reserveStock(db: Db, orderId: string, lines: readonly StockLine[]): void {
  const wanted = new Map<string, number>();
  for (const line of lines) {
    if (!Number.isInteger(line.quantity) || line.quantity < 1) {
      throw new RangeError(
        `reserveStock(): quantity must be a positive integer, got ${line.quantity}`,
      );
    }
    wanted.set(line.productId, (wanted.get(line.productId) ?? 0) + line.quantity);
  }

  const findProduct = db.prepare('SELECT id, name, stock FROM products WHERE id = ?');
  const findReservation = db.prepare(
    'SELECT 1 FROM stock_reservations WHERE order_id = ? AND product_id = ?',
  );
  const take = db.prepare(
    `UPDATE products SET stock = stock - ?, updated_at = ?
     WHERE id = ? AND stock IS NOT NULL AND stock >= ?`,
  );
  const record = db.prepare(
    `INSERT INTO stock_reservations (order_id, product_id, quantity, state, updated_at)
     VALUES (?, ?, ?, 'reserved', ?)`,
  );

  for (const [productId, quantity] of wanted) {
    const product = findProduct.get(productId) as
      { id: string; name: string; stock: number | null } | undefined;
    if (!product) {
      throw new VitrineError(
        'not_found',
        `There is no product ${productId}; remove it from the cart.`,
      );
    }
    if (product.stock === null) continue;
    if (findReservation.get(orderId, productId)) continue;

    const at = now();
    const taken = take.run(quantity, at, productId, quantity);
    if (taken.changes !== 1) {
      const left = (findProduct.get(productId) as { stock: number | null }).stock ?? 0;
      throw new VitrineError(
        'out_of_stock',
        left === 0
          ? `"${product.name}" is sold out. Remove it from the cart to continue.`
          : `Only ${left} of "${product.name}" ${left === 1 ? 'is' : 'are'} left, and the cart asks for ${quantity}. Lower the quantity to continue.`,
        { details: { productId, requested: quantity, available: left } },
      );
    }
    record.run(orderId, productId, quantity, at);
  }
}

/**
 * Marks an order's reserved units as sold. Runs inside the fulfilment transaction and is
 * idempotent: committed rows stay committed.
 *
 * If the order's reservation had been released (it expired, then the payment arrived late),
 * the units are taken again with the same guarded UPDATE. Units that are no longer there are
 * reported in `shortfalls` instead of driving stock below zero: the payment has happened, so
 * the caller decides (flag the order for the owner, or refund).
 */
export function commitStock(db: Db, orderId: string): StockCommitResult {
  const rows = db
    .prepare(
      `SELECT product_id, quantity, state FROM stock_reservations
       WHERE order_id = ? AND state <> 'committed' ORDER BY product_id`,
    )
    .all(orderId) as ReservationRow[];
  const retake = db.prepare(
    `UPDATE products SET stock = stock - ?, updated_at = ?
     WHERE id = ? AND stock IS NOT NULL AND stock >= ?`,
  );
  const mark = db.prepare(
    `UPDATE stock_reservations SET state = 'committed', updated_at = ?
     WHERE order_id = ? AND product_id = ? AND state = ?`,
  );
  const result: StockCommitResult = { committed: 0, shortfalls: [] };

  for (const row of rows) {
    const at = now();
    if (row.state === 'released') {
      const taken = retake.run(row.quantity, at, row.product_id, row.quantity);
      if (taken.changes !== 1) {
        const stock = db
          .prepare('SELECT stock FROM products WHERE id = ?')
          .pluck()
          .get(row.product_id) as number | null | undefined;
        // Unlimited now (or the product is gone): nothing to take, so nothing is short.
        if (stock === null || stock === undefined) {
          mark.run(at, orderId, row.product_id, row.state);
          result.committed += row.quantity;
          continue;
        }
        result.shortfalls.push({
          productId: row.product_id,
          quantity: row.quantity,
          available: stock,
        });
        continue;
      }
    }
    mark.run(at, orderId, row.product_id, row.state);
    result.committed += row.quantity;
  }

  return result;
}

/**
 * Gives an unpaid order's reserved units back to stock (order canceled, expired or failed).
 * Runs inside the caller's write transaction. Each reservation moves `reserved → released`
 * once, guarded on its state, so calling this twice returns the units once. Committed units
 * (sold) are left alone.
 *
 * @returns the number of units returned to stock by this call.
 */
export function releaseStock(db: Db, orderId: string): number {
  const rows = db
    .prepare(
      `SELECT product_id, quantity, state FROM stock_reservations
       WHERE order_id = ? AND state = 'reserved' ORDER BY product_id`,
    )
    .all(orderId) as ReservationRow[];
  const mark = db.prepare(
    `UPDATE stock_reservations SET state = 'released', updated_at = ?
     WHERE order_id = ? AND product_id = ? AND state = 'reserved'`,
  );
  // An owner may have switched the product to unlimited meanwhile; NULL stays NULL.
  const restore = db.prepare(
    'UPDATE products SET stock = stock + ?, updated_at = ? WHERE id = ? AND stock IS NOT NULL',
  );
  let released = 0;

  for (const row of rows) {
    const at = now();
    if (mark.run(at, orderId, row.product_id).changes !== 1) continue;
    restore.run(row.quantity, at, row.product_id);
    released += row.quantity;
  }

  return released;
}
