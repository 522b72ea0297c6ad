import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { VitrineError } from '@vitrine/shared';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openDatabase, writeTransaction, type Db } from '../../src/db/database.js';
import { commitStock, releaseStock, reserveStock } from '../../src/services/stock.js';
import { insertOrder, insertProduct, productStock } from '../helpers/physical-orders.js';

const CHILD = path.join(import.meta.dirname, '..', 'helpers', 'stock-race-child.ts');

let dir: string;
let file: string;
let db: Db;

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vitrine-stock-'));
  file = path.join(dir, 'store.db');
  db = openDatabase(file);
});

afterEach(() => {
  db.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

/** Creates a pending order and reserves its lines in one transaction, like checkout. */
function checkout(handle: Db, lines: { productId: string; quantity: number }[]): string {
  return writeTransaction(handle, () => {
    const order = insertOrder(handle, { lines });
    reserveStock(handle, order.id, lines);
    return order.id;
  });
}

function reservations(handle: Db, orderId: string) {
  return handle
    .prepare(
      'SELECT product_id, quantity, state FROM stock_reservations WHERE order_id = ? ORDER BY product_id',
    )
    .all(orderId);
}

describe('reserveStock()', () => {
  it('takes the units from stock and records a reservation', () => {
    insertProduct(db, { id: 'mug', stock: 5 });

    const orderId = checkout(db, [{ productId: 'mug', quantity: 2 }]);

    expect(productStock(db, 'mug')).toBe(3);
    expect(reservations(db, orderId)).toEqual([
      { product_id: 'mug', quantity: 2, state: 'reserved' },
    ]);
  });

  it('adds up repeated lines of the same product', () => {
    insertProduct(db, { id: 'mug', stock: 5 });

    const orderId = checkout(db, [
      { productId: 'mug', quantity: 2 },
      { productId: 'mug', quantity: 1 },
    ]);

    expect(productStock(db, 'mug')).toBe(2);
    expect(reservations(db, orderId)).toEqual([
      { product_id: 'mug', quantity: 3, state: 'reserved' },
    ]);
  });

  it('never decrements unlimited stock and records no reservation for it', () => {
    insertProduct(db, { id: 'poster', stock: null });

    const orderId = checkout(db, [{ productId: 'poster', quantity: 40 }]);

    expect(productStock(db, 'poster')).toBeNull();
    expect(reservations(db, orderId)).toEqual([]);
  });

  it('refuses more than is left with out_of_stock naming the product, and takes nothing', () => {
    insertProduct(db, { id: 'mug', name: 'Enamel mug', stock: 5 });
    insertProduct(db, { id: 'lamp', name: 'Brass lamp', stock: 1 });

    const attempt = () =>
      checkout(db, [
        { productId: 'mug', quantity: 2 },
        { productId: 'lamp', quantity: 2 },
      ]);

    expect(attempt).toThrow(VitrineError);
    expect(attempt).toThrow(/Only 1 of "Brass lamp" is left, and the cart asks for 2/);
    expect(productStock(db, 'mug')).toBe(5);
    expect(productStock(db, 'lamp')).toBe(1);
    expect(db.prepare('SELECT COUNT(*) FROM stock_reservations').pluck().get()).toBe(0);
  });

  it('says sold out when nothing is left', () => {
    insertProduct(db, { id: 'lamp', name: 'Brass lamp', stock: 0 });

    expect(() => checkout(db, [{ productId: 'lamp', quantity: 1 }])).toThrow(
      expect.objectContaining({
        code: 'out_of_stock',
        status: 409,
        message: expect.stringContaining('"Brass lamp" is sold out'),
      }),
    );
  });

  it('is a no-op when called twice for the same order and product', () => {
    insertProduct(db, { id: 'mug', stock: 5 });
    const orderId = checkout(db, [{ productId: 'mug', quantity: 2 }]);

    writeTransaction(db, () => reserveStock(db, orderId, [{ productId: 'mug', quantity: 2 }]));

    expect(productStock(db, 'mug')).toBe(3);
  });

  it('refuses a stale reader on a second connection once another connection took the last unit', () => {
    insertProduct(db, { id: 'lamp', stock: 1 });
    const other = openDatabase(file);
    try {
      const seenByOther = productStock(other, 'lamp');

      checkout(db, [{ productId: 'lamp', quantity: 1 }]);

      expect(seenByOther).toBe(1);
      expect(() => checkout(other, [{ productId: 'lamp', quantity: 1 }])).toThrow(
        expect.objectContaining({ code: 'out_of_stock' }),
      );
      expect(productStock(db, 'lamp')).toBe(0);
    } finally {
      other.close();
    }
  });

  it('lets exactly one of several processes racing for the last unit have it', async () => {
    insertProduct(db, { id: 'lamp', stock: 1 });
    insertProduct(db, { id: 'mug', stock: 3 });

    const lampResults = await race(6, 'lamp', 1);
    const mugResults = await race(5, 'mug', 1);

    expect(lampResults.filter((r) => r.ok)).toHaveLength(1);
    expect(lampResults.filter((r) => !r.ok).map((r) => r.code)).toEqual(
      Array(5).fill('out_of_stock'),
    );
    expect(productStock(db, 'lamp')).toBe(0);
    expect(mugResults.filter((r) => r.ok)).toHaveLength(3);
    expect(productStock(db, 'mug')).toBe(0);
    expect(
      db
        .prepare("SELECT SUM(quantity) FROM stock_reservations WHERE state = 'reserved'")
        .pluck()
        .get(),
    ).toBe(4);
  }, 60_000);
});

describe('releaseStock()', () => {
  it('returns reserved units to stock exactly once', () => {
    insertProduct(db, { id: 'mug', stock: 5 });
    const orderId = checkout(db, [{ productId: 'mug', quantity: 2 }]);

    const first = writeTransaction(db, () => releaseStock(db, orderId));
    const second = writeTransaction(db, () => releaseStock(db, orderId));

    expect(first).toBe(2);
    expect(second).toBe(0);
    expect(productStock(db, 'mug')).toBe(5);
    expect(reservations(db, orderId)).toEqual([
      { product_id: 'mug', quantity: 2, state: 'released' },
    ]);
  });

  it('leaves committed (sold) units alone', () => {
    insertProduct(db, { id: 'mug', stock: 5 });
    const orderId = checkout(db, [{ productId: 'mug', quantity: 2 }]);
    writeTransaction(db, () => commitStock(db, orderId));

    const released = writeTransaction(db, () => releaseStock(db, orderId));

    expect(released).toBe(0);
    expect(productStock(db, 'mug')).toBe(3);
  });

  it('keeps stock unlimited when the owner switched the product to unlimited meanwhile', () => {
    insertProduct(db, { id: 'mug', stock: 5 });
    const orderId = checkout(db, [{ productId: 'mug', quantity: 2 }]);
    db.prepare('UPDATE products SET stock = NULL WHERE id = ?').run('mug');

    writeTransaction(db, () => releaseStock(db, orderId));

    expect(productStock(db, 'mug')).toBeNull();
  });
});

describe('commitStock()', () => {
  it('marks reservations committed and is idempotent', () => {
    insertProduct(db, { id: 'mug', stock: 5 });
    const orderId = checkout(db, [{ productId: 'mug', quantity: 2 }]);

    const first = writeTransaction(db, () => commitStock(db, orderId));
    const second = writeTransaction(db, () => commitStock(db, orderId));

    expect(first).toEqual({ committed: 2, shortfalls: [] });
    expect(second).toEqual({ committed: 0, shortfalls: [] });
    expect(productStock(db, 'mug')).toBe(3);
    expect(reservations(db, orderId)).toEqual([
      { product_id: 'mug', quantity: 2, state: 'committed' },
    ]);
  });

  it('takes released units again when a late payment arrives and they are still there', () => {
    insertProduct(db, { id: 'mug', stock: 5 });
    const orderId = checkout(db, [{ productId: 'mug', quantity: 2 }]);
    writeTransaction(db, () => releaseStock(db, orderId));

    const result = writeTransaction(db, () => commitStock(db, orderId));

    expect(result).toEqual({ committed: 2, shortfalls: [] });
    expect(productStock(db, 'mug')).toBe(3);
  });

  it('reports a shortfall instead of overselling when released units were sold to someone else', () => {
    insertProduct(db, { id: 'lamp', stock: 1 });
    const late = checkout(db, [{ productId: 'lamp', quantity: 1 }]);
    writeTransaction(db, () => releaseStock(db, late));
    checkout(db, [{ productId: 'lamp', quantity: 1 }]);

    const result = writeTransaction(db, () => commitStock(db, late));

    expect(result).toEqual({
      committed: 0,
      shortfalls: [{ productId: 'lamp', quantity: 1, available: 0 }],
    });
    expect(productStock(db, 'lamp')).toBe(0);
    expect(reservations(db, late)).toEqual([
      { product_id: 'lamp', quantity: 1, state: 'released' },
    ]);
  });
});

interface RaceResult {
  ok: boolean;
  code?: string;
}

/** Starts `count` processes on the same database file, releases them together, and collects results. */
async function race(count: number, productId: string, quantity: number): Promise<RaceResult[]> {
  const children = Array.from({ length: count }, () =>
    spawn(process.execPath, ['--import', 'tsx', CHILD, file, productId, String(quantity)], {
      stdio: ['pipe', 'pipe', 'pipe'],
    }),
  );
  const outputs = children.map((child) => {
    let out = '';
    let err = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
    const ready = new Promise<void>((resolve, reject) => {
      const check = () => (out.includes('ready\n') ? resolve() : undefined);
      child.stdout.on('data', check);
      child.once('exit', (code) =>
        reject(new Error(`child exited (${code}) before ready: ${err}`)),
      );
    });
    const done = new Promise<RaceResult>((resolve, reject) => {
      child.once('exit', (code) => {
        const line = out.split('\n').find((l) => l.startsWith('{'));
        if (code !== 0 || !line) reject(new Error(`child failed (${code}): ${err}`));
        else resolve(JSON.parse(line) as RaceResult);
      });
    });
    return { ready, done };
  });

  await Promise.all(outputs.map((o) => o.ready));
  for (const child of children) child.stdin.end('go\n');
  return Promise.all(outputs.map((o) => o.done));
}
