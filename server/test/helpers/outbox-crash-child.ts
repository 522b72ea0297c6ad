/**
 * A store process that gets killed on purpose (`node --import tsx`). It builds the app on a
 * data directory, pays an order the way fulfilment does (one write transaction: paid, stock
 * committed, shipment opened, receipt queued), prints `committed <orderId>` and then:
 *
 * - `wait`: does nothing more, so a SIGKILL lands between payment and sending;
 * - `send`: starts the background worker, which sends the receipt to SMTP_URL.
 *
 * argv: <data dir> <smtp url> <wait|send>
 */
import { createApp } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { writeTransaction } from '../../src/db/database.js';
import { startBackgroundWork } from '../../src/services/background.js';
import { queueReceipt } from '../../src/services/emails.js';
import { createShipment } from '../../src/services/shipments.js';
import { commitStock, reserveStock } from '../../src/services/stock.js';
import { ADMIN_TOKEN } from './app.js';
import { insertOrder, insertProduct } from './physical-orders.js';

const [dataDir, smtpUrl, mode] = process.argv.slice(2);
if (!dataDir || !smtpUrl || (mode !== 'wait' && mode !== 'send')) {
  throw new Error('usage: outbox-crash-child <data dir> <smtp url> <wait|send>');
}

const config = loadConfig({
  NODE_ENV: 'test',
  DATA_DIR: dataDir,
  ADMIN_TOKEN,
  SITE_BUILD: 'off',
  SMTP_URL: smtpUrl,
  OUTBOX_POLL_MS: '20',
  STORE_NAME: 'Crash Test Shop',
});
const app = createApp(config, { background: false });
const { context } = app.locals;
const { db } = context;

insertProduct(db, { id: 'lamp', name: 'Brass lamp', stock: 3, price: 4200 });
const order = insertOrder(db, {
  lines: [{ productId: 'lamp', quantity: 1 }],
  shippingAmount: 500,
  email: 'crash@example.test',
});
writeTransaction(db, () => reserveStock(db, order.id, [{ productId: 'lamp', quantity: 1 }]));

// What fulfilment does when the payment succeeds, in one transaction.
writeTransaction(db, () => {
  db.prepare(`UPDATE orders SET status = 'paid', paid_at = ? WHERE id = ?`).run(
    new Date().toISOString(),
    order.id,
  );
  commitStock(db, order.id);
  createShipment(db, order.id);
  queueReceipt(context, order.id);
});
process.stdout.write(`committed ${order.id}\n`);

if (mode === 'send') startBackgroundWork(context);
// Stay alive until the test kills this process.
setInterval(() => undefined, 60_000);
