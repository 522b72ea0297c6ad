/**
 * One contender in the stock race test, run as its own process (`node --import tsx`):
 * opens the shared SQLite file, says "ready", waits for "go" on stdin, then creates a pending
 * order and reserves stock in one write transaction, as checkout does. Prints one JSON line.
 *
 * argv: <db file> <product id> <quantity>
 */
import readline from 'node:readline';
import { VitrineError } from '@vitrine/shared';
import { openDatabase, writeTransaction } from '../../src/db/database.js';
import { reserveStock } from '../../src/services/stock.js';
import { insertOrder } from './physical-orders.js';

const [file, productId, quantityText] = process.argv.slice(2);
if (!file || !productId || !quantityText)
  throw new Error('usage: stock-race-child <db> <product> <quantity>');
const quantity = Number(quantityText);
const db = openDatabase(file);

const input = readline.createInterface({ input: process.stdin });
process.stdout.write('ready\n');
input.once('line', () => {
  let result: Record<string, unknown>;
  try {
    const orderId = writeTransaction(db, () => {
      const order = insertOrder(db, { lines: [{ productId, quantity }] });
      reserveStock(db, order.id, [{ productId, quantity }]);
      return order.id;
    });
    result = { ok: true, orderId };
  } catch (error) {
    result = { ok: false, code: error instanceof VitrineError ? error.code : String(error) };
  }
  process.stdout.write(`${JSON.stringify(result)}\n`);
  input.close();
  process.stdin.destroy();
  db.close();
});
