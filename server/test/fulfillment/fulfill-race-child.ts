/**
 * One contender in the fulfilment race test, run as its own process (`node --import tsx`):
 * opens the store's data directory like a second server would, says "ready", waits for "go"
 * on stdin, then calls fulfillOrder for the order. Prints the outcome as one JSON line.
 *
 * argv: <data dir> <order id> <payment facts as JSON>
 */
import readline from 'node:readline';
import pino from 'pino';
import { loadConfig } from '../../src/config.js';
import { createContext } from '../../src/context.js';
import { fulfillOrder } from '../../src/fulfillment/fulfill.js';
import type { PaymentFacts } from '../../src/payments/stripe.js';

const [dataDir, orderId, factsJson] = process.argv.slice(2);
if (!dataDir || !orderId || !factsJson)
  throw new Error('usage: fulfill-race-child <data dir> <order id> <facts>');
const config = loadConfig({
  NODE_ENV: 'test',
  DATA_DIR: dataDir,
  ADMIN_TOKEN: 'test-admin-token-0123456789abcdef',
  SITE_BUILD: 'off',
  STORE_CURRENCY: 'eur',
});
const context = createContext(config, pino({ level: 'silent' }));

const input = readline.createInterface({ input: process.stdin });
process.stdout.write('ready\n');
input.once('line', () => {
  let result: Record<string, unknown>;
  try {
    result = { outcome: fulfillOrder(context, orderId, JSON.parse(factsJson) as PaymentFacts) };
  } catch (error) {
    result = { error: String(error) };
  }
  process.stdout.write(`${JSON.stringify(result)}\n`);
  input.close();
  process.stdin.destroy();
  context.db.close();
});
