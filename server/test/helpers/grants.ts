import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { AppContext } from '../../src/context.js';
import { now, writeTransaction } from '../../src/db/database.js';
import { newId } from '../../src/ids.js';
import { createGrants, listOrderDownloads } from '../../src/services/downloads.js';
import type { TestServer } from './app.js';

export interface SeedLine {
  name: string;
  type?: 'digital' | 'physical' | 'hybrid';
  /** The model file's bytes; a physical line has none. */
  bytes?: Buffer;
  /** How `models.original_path` is stored: absolute (default) or relative to the originals. */
  pathStyle?: 'absolute' | 'relative';
}

export interface SeededOrder {
  orderId: string;
  lines: { productId: string; modelId: string | null; filePath: string | null }[];
}

/**
 * Writes the rows a paid order leaves behind, straight into the server's real SQLite file:
 * products, models with their originals on disk, an order with its lines. Catalog and checkout
 * have their own tests; download tests only need the state.
 */
export function seedOrder(context: AppContext, lines: SeedLine[]): SeededOrder {
  const at = now();
  const orderId = newId('ord');
  const seeded: SeededOrder['lines'] = [];
  fs.mkdirSync(context.paths.originals, { recursive: true });

  writeTransaction(context.db, () => {
    context.db
      .prepare(
        `INSERT INTO orders (id, key_hash, email, status, currency, total_amount, fulfillment_type,
           product_type, content_hash, created_at, updated_at, paid_at)
         VALUES (?, 'unused', 'buyer@example.test', 'paid', 'eur', 0, 'digital_download', 'digital',
           'unused', ?, ?, ?)`,
      )
      .run(orderId, at, at, at);

    lines.forEach((line, position) => {
      const productId = newId('prod');
      const type = line.type ?? 'digital';
      context.db
        .prepare(
          `INSERT INTO products (id, slug, name, type, price_amount, currency, created_at, updated_at)
           VALUES (?, ?, ?, ?, 1000, 'eur', ?, ?)`,
        )
        .run(productId, productId.toLowerCase().replace(/[^a-z0-9]/g, ''), line.name, type, at, at);

      let modelId: string | null = null;
      let filePath: string | null = null;
      if (line.bytes) {
        const sha256 = crypto.createHash('sha256').update(line.bytes).digest('hex');
        filePath = path.join(context.paths.originals, `${sha256}.glb`);
        fs.writeFileSync(filePath, line.bytes);
        modelId = newId('mdl');
        const stored = line.pathStyle === 'relative' ? `${sha256}.glb` : filePath;
        context.db
          .prepare(
            `INSERT INTO models (id, product_id, sha256, bytes, original_path, original_filename,
               facts_json, created_at)
             VALUES (?, ?, ?, ?, ?, 'upload.glb', '{}', ?)`,
          )
          .run(modelId, productId, sha256, line.bytes.length, stored, at);
        context.db.prepare('UPDATE products SET model_id = ? WHERE id = ?').run(modelId, productId);
      }

      context.db
        .prepare(
          `INSERT INTO order_items (id, order_id, position, kind, product_id, product_type, model_id,
             name, quantity, unit_amount, amount)
           VALUES (?, ?, ?, 'product', ?, ?, ?, ?, 1, 1000, 1000)`,
        )
        .run(newId('oi'), orderId, position, productId, type, modelId, line.name);
      seeded.push({ productId, modelId, filePath });
    });
  });

  return { orderId, lines: seeded };
}

export interface Purchase {
  orderId: string;
  grantId: string;
  /** The path part of the download link, `/api/downloads/<token>`. */
  path: string;
  token: string;
  bytes: Buffer;
  filePath: string;
}

/** A paid single-model order with its grant, as fulfilment leaves it. */
export function seedPurchase(server: TestServer, line: Partial<SeedLine> = {}): Purchase {
  const { context } = server.app.locals;
  const bytes = line.bytes ?? crypto.randomBytes(64 * 1024 + 123);
  const order = seedOrder(context, [{ name: 'Test Model', ...line, bytes }]);
  createGrants(context, order.orderId);
  const download = listOrderDownloads(context, order.orderId)[0]!;
  const url = new URL(download.url);

  return {
    orderId: order.orderId,
    grantId: download.grantId!,
    path: url.pathname,
    token: url.pathname.split('/').pop()!,
    bytes,
    filePath: order.lines[0]!.filePath!,
  };
}

/** Reads a grant row straight from the database. */
export function grantRow(server: TestServer, grantId: string) {
  return server.app.locals.context.db
    .prepare('SELECT * FROM download_grants WHERE id = ?')
    .get(grantId) as {
    downloads_used: number;
    max_downloads: number;
    expires_at: string;
    revoked_at: string | null;
    revoked_reason: string | null;
  };
}

let addressCounter = 0;

/**
 * A fresh client address for the request's `X-Forwarded-For`. The app trusts loopback proxies,
 * so each test can speak as its own client and the failure limiter of one test never touches
 * another's. Addresses are from the benchmarking block 198.18.0.0/15 (RFC 2544) and are never
 * contacted.
 */
export function nextAddress(): string {
  addressCounter += 1;
  return `198.18.${Math.floor(addressCounter / 250) % 250}.${(addressCounter % 250) + 1}`;
}

/** Polls `check` until it returns true or the deadline passes. */
export async function waitFor(check: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline)
      throw new Error(`waitFor(): condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
