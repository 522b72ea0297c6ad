import fs from 'node:fs';
import path from 'node:path';
import {
  VitrineError,
  type ModelFacts,
  type Product,
  type ProductCreate,
  type ProductType,
  type ProductUpdate,
} from '@vitrine/shared';
import type { AppContext } from '../context.js';
import { now, writeTransaction, type Db } from '../db/database.js';
import { newId } from '../ids.js';

/** A `products` row as stored. Money is in minor units of `currency`. */
export interface ProductRow {
  id: string;
  slug: string;
  name: string;
  description: string;
  type: ProductType;
  price_amount: number;
  currency: string;
  active: number;
  license: string | null;
  sku: string | null;
  weight_grams: number | null;
  stock: number | null;
  model_id: string | null;
  /** A custom poster uploaded by the owner, relative to `paths.public`. Wins over the generated one. */
  poster_path: string | null;
  archived_at: string | null;
  created_at: string;
  updated_at: string;
}

/** A `models` row: one uploaded original and what was derived from it. */
export interface ModelRow {
  id: string;
  product_id: string;
  sha256: string;
  bytes: number;
  /** Relative to `paths.originals` (`<sha256>.glb`). */
  original_path: string;
  original_filename: string;
  /** Relative to `paths.public`, e.g. `previews/<modelId>.glb`; null when no preview could be made. */
  preview_path: string | null;
  /** The generated poster, relative to `paths.public`; null when none could be made. */
  poster_path: string | null;
  facts_json: string;
  created_at: string;
}

/** A product as the admin API sees it: the public shape plus when it was archived. */
export type AdminProduct = Product & { archivedAt: string | null };

export function getProductRow(db: Db, id: string): ProductRow | undefined {
  return db.prepare('SELECT * FROM products WHERE id = ?').get(id) as ProductRow | undefined;
}

export function getModelRow(db: Db, id: string): ModelRow | undefined {
  return db.prepare('SELECT * FROM models WHERE id = ?').get(id) as ModelRow | undefined;
}

/** Rows for the given ids, in no particular order; unknown ids are simply absent. */
export function getProductsByIds(db: Db, ids: readonly string[]): ProductRow[] {
  const unique = [...new Set(ids)];
  if (unique.length === 0) return [];
  const marks = unique.map(() => '?').join(', ');
  return db.prepare(`SELECT * FROM products WHERE id IN (${marks})`).all(...unique) as ProductRow[];
}

/** The URL of a file under `paths.public`, as `/files/*` serves it. */
export function publicFileUrl(context: AppContext, relativePath: string): string {
  const encoded = relativePath.split('/').map(encodeURIComponent).join('/');
  return `${context.config.publicUrl}/files/${encoded}`;
}

/** Turns a row into the shared Product shape, with model facts and preview and poster URLs. */
export function toProduct(context: AppContext, row: ProductRow): AdminProduct {
  const model = row.model_id ? getModelRow(context.db, row.model_id) : undefined;
  const poster = row.poster_path ?? model?.poster_path ?? null;
  const product: AdminProduct = {
    id: row.id,
    slug: row.slug,
    name: row.name,
    description: row.description,
    type: row.type,
    price: { amount: row.price_amount, currency: row.currency },
    active: row.active === 1 && row.archived_at === null,
    previewUrl: model?.preview_path ? publicFileUrl(context, model.preview_path) : null,
    posterUrl: poster ? publicFileUrl(context, poster) : null,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    archivedAt: row.archived_at,
  };
  if (row.type !== 'digital' && row.sku !== null) {
    product.physical = { sku: row.sku, weightGrams: row.weight_grams ?? 0, stock: row.stock };
  }
  if (row.license !== null) product.license = row.license;
  if (model) product.model = JSON.parse(model.facts_json) as ModelFacts;
  return product;
}

/** The public shape: drops admin-only fields. */
export function toPublicProduct(context: AppContext, row: ProductRow): Product {
  const { archivedAt: _archivedAt, ...product } = toProduct(context, row);
  return product;
}

/** Products a shopper may see and buy: active and not archived, oldest first (catalog order). */
export function listActiveProducts(context: AppContext): Product[] {
  const rows = context.db
    .prepare(
      'SELECT * FROM products WHERE active = 1 AND archived_at IS NULL ORDER BY created_at, id',
    )
    .all() as ProductRow[];
  return rows.map((row) => toPublicProduct(context, row));
}

/** The public product behind a slug, or undefined when it is unknown, inactive or archived. */
export function getActiveProductBySlug(context: AppContext, slug: string): Product | undefined {
  const row = context.db
    .prepare('SELECT * FROM products WHERE slug = ? AND active = 1 AND archived_at IS NULL')
    .get(slug) as ProductRow | undefined;
  return row ? toPublicProduct(context, row) : undefined;
}

/**
 * Every product for the desktop app, newest first, inactive and archived ones included. `q`
 * matches the id exactly, or name, slug, SKU and description case-insensitively.
 */
export function listAllProducts(context: AppContext, q?: string): AdminProduct[] {
  const term = q?.trim();
  let rows: ProductRow[];
  if (term) {
    // LOWER(...) LIKE keeps the search case-insensitive on PostgreSQL too.
    const pattern = `%${term.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
    rows = context.db
      .prepare(
        `SELECT * FROM products
         WHERE id = ?
            OR LOWER(name) LIKE ? ESCAPE '\\'
            OR LOWER(slug) LIKE ? ESCAPE '\\'
            OR LOWER(COALESCE(sku, '')) LIKE ? ESCAPE '\\'
            OR LOWER(description) LIKE ? ESCAPE '\\'
         ORDER BY created_at DESC, id`,
      )
      .all(term, pattern, pattern, pattern, pattern) as ProductRow[];
  } else {
    rows = context.db
      .prepare('SELECT * FROM products ORDER BY created_at DESC, id')
      .all() as ProductRow[];
  }
  return rows.map((row) => toProduct(context, row));
}

/** The admin view of one product; 404 `not_found` when the id is unknown. */
export function getAdminProduct(context: AppContext, id: string): AdminProduct {
  return toProduct(context, requireProductRow(context.db, id));
}

export function requireProductRow(db: Db, id: string): ProductRow {
  const row = getProductRow(db, id);
  if (!row) {
    throw new VitrineError('not_found', `There is no product with id "${id}".`, {
      hint: 'List the products with GET /api/admin/products to find the id.',
    });
  }
  return row;
}

/** Latin letters that Unicode does not decompose into a base letter and an accent. */
const FOLDED_LETTERS: Record<string, string> = {
  ø: 'o',
  æ: 'ae',
  œ: 'oe',
  ß: 'ss',
  ł: 'l',
  đ: 'd',
  þ: 'th',
};

/**
 * A URL slug from a product name: accents folded, anything else but letters and digits turned
 * into single hyphens, at most 60 characters so a numeric suffix still fits the 80 allowed.
 */
export function slugify(name: string): string {
  return name
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[øæœßłđþ]/g, (c) => FOLDED_LETTERS[c] ?? c)
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 60)
    .replace(/-+$/, '');
}

function isSlugTaken(db: Db, slug: string, exceptId?: string): boolean {
  const row = db.prepare('SELECT id FROM products WHERE slug = ?').get(slug) as
    { id: string } | undefined;
  return row !== undefined && row.id !== exceptId;
}

/** `base`, or `base-2`, `base-3`… whichever is free. Runs inside the caller's transaction. */
function uniqueSlug(db: Db, name: string): string {
  const base = slugify(name) || 'product';
  if (!isSlugTaken(db, base)) return base;
  for (let n = 2; ; n += 1) {
    const candidate = `${base}-${n}`;
    if (!isSlugTaken(db, candidate)) return candidate;
  }
}

function slugConflict(slug: string): VitrineError {
  return new VitrineError('conflict', `The slug "${slug}" is already used by another product.`, {
    hint: 'Choose another slug, or leave it out to have one made from the name.',
  });
}

function assertSkuFree(db: Db, sku: string, exceptId?: string): void {
  const row = db
    .prepare('SELECT id FROM products WHERE sku = ? AND archived_at IS NULL')
    .get(sku) as { id: string } | undefined;
  if (row && row.id !== exceptId) {
    throw new VitrineError('conflict', `The SKU "${sku}" is already used by product ${row.id}.`, {
      hint: 'Each physical product needs its own SKU so orders and stock stay apart.',
    });
  }
}

/** Stripe's largest charge for most currencies: eight digits of minor units. */
const MAX_PRICE_AMOUNT = 99_999_999;

/**
 * Refuses a price the checkout could never charge: another currency than the store's, or an
 * amount beyond Stripe's maximum. Checked when the product is saved, not first at checkout.
 */
function assertSellablePrice(
  context: AppContext,
  price: { amount: number; currency: string },
): void {
  const store = context.config.currency;
  if (price.currency !== store) {
    throw new VitrineError(
      'invalid_request',
      `This store sells in ${store.toUpperCase()} (STORE_CURRENCY); a price in ${price.currency.toUpperCase()} could never be charged. Give the price in ${store.toUpperCase()}.`,
    );
  }
  if (price.amount > MAX_PRICE_AMOUNT) {
    throw new VitrineError(
      'invalid_request',
      `A price of ${price.amount} minor units is above the largest amount Stripe charges (${MAX_PRICE_AMOUNT}).`,
    );
  }
}

/** Creates a product. A taken explicit slug is a 409; a generated one gets a numeric suffix. */
export function createProduct(context: AppContext, input: ProductCreate): AdminProduct {
  const { db } = context;
  assertSellablePrice(context, input.price);
  const row = writeTransaction(db, () => {
    let slug: string;
    if (input.slug) {
      if (isSlugTaken(db, input.slug)) throw slugConflict(input.slug);
      slug = input.slug;
    } else {
      slug = uniqueSlug(db, input.name);
    }
    const physical = input.type === 'digital' ? undefined : input.physical;
    if (physical) assertSkuFree(db, physical.sku);

    const at = now();
    const id = newId('prd', 12);
    db.prepare(
      `INSERT INTO products (id, slug, name, description, type, price_amount, currency, active,
         license, sku, weight_grams, stock, created_at, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ).run(
      id,
      slug,
      input.name,
      input.description,
      input.type,
      input.price.amount,
      input.price.currency,
      input.active ? 1 : 0,
      input.license ?? null,
      physical?.sku ?? null,
      physical?.weightGrams ?? null,
      physical?.stock ?? null,
      at,
      at,
    );
    return requireProductRow(db, id);
  });

  return toProduct(context, row);
}

/**
 * Applies a partial update. A physical or hybrid product must keep its physical details; a
 * product turned digital drops them. `active: true` on an archived product restores it.
 */
export function updateProduct(context: AppContext, id: string, patch: ProductUpdate): AdminProduct {
  const { db } = context;
  if (patch.price) assertSellablePrice(context, patch.price);
  const row = writeTransaction(db, () => {
    const current = requireProductRow(db, id);
    const type = patch.type ?? current.type;

    if (
      patch.slug !== undefined &&
      patch.slug !== current.slug &&
      isSlugTaken(db, patch.slug, id)
    ) {
      throw slugConflict(patch.slug);
    }

    let physical =
      current.sku === null
        ? null
        : { sku: current.sku, weightGrams: current.weight_grams ?? 0, stock: current.stock };
    if (patch.physical !== undefined) physical = patch.physical;
    if (type === 'digital') physical = null;
    if (type !== 'digital' && physical === null) {
      throw new VitrineError(
        'invalid_request',
        `The request is not valid: physical: a ${type} product needs physical: { sku, weightGrams, stock }.`,
        {
          details: [
            {
              path: 'physical',
              message: `a ${type} product needs physical: { sku, weightGrams, stock }`,
            },
          ],
        },
      );
    }
    if (physical) assertSkuFree(db, physical.sku, id);
    if (type === 'physical' && current.model_id !== null && patch.type !== undefined) {
      // NOTE: the model stays attached (old orders may point at it) but is no longer sold.
      context.logger
        .child({ area: 'catalog' })
        .info({ productId: id }, 'product turned physical; its model is kept but not sold');
    }

    const restoring = patch.active === true && current.archived_at !== null;
    db.prepare(
      `UPDATE products SET slug = ?, name = ?, description = ?, type = ?, price_amount = ?,
         currency = ?, active = ?, license = ?, sku = ?, weight_grams = ?, stock = ?,
         archived_at = ?, updated_at = ?
       WHERE id = ?`,
    ).run(
      patch.slug ?? current.slug,
      patch.name ?? current.name,
      patch.description ?? current.description,
      type,
      patch.price?.amount ?? current.price_amount,
      patch.price?.currency ?? current.currency,
      patch.active === undefined ? current.active : patch.active ? 1 : 0,
      patch.license === undefined ? current.license : patch.license,
      physical?.sku ?? null,
      physical?.weightGrams ?? null,
      physical?.stock ?? null,
      restoring ? null : current.archived_at,
      now(),
      id,
    );
    return requireProductRow(db, id);
  });

  return toProduct(context, row);
}

export type DeleteOutcome =
  { id: string; outcome: 'deleted' } | { id: string; outcome: 'archived'; product: AdminProduct };

/**
 * Deletes a product that no order references, with its models and their files. A product
 * that orders reference is archived instead (inactive, hidden from the shop, kept for the
 * orders, their downloads and stock records). Deleting an archived product again is a no-op.
 */
export function deleteProduct(context: AppContext, id: string): DeleteOutcome {
  const { db } = context;
  const outcome = writeTransaction(db, () => {
    const row = requireProductRow(db, id);
    const referenced = db
      .prepare(
        `SELECT 1 FROM order_items WHERE product_id = ?
         UNION ALL SELECT 1 FROM download_grants WHERE product_id = ?
         UNION ALL SELECT 1 FROM stock_reservations WHERE product_id = ?
         LIMIT 1`,
      )
      .get(id, id, id);
    if (referenced) {
      if (row.archived_at === null) {
        const at = now();
        db.prepare(
          'UPDATE products SET active = 0, archived_at = ?, updated_at = ? WHERE id = ?',
        ).run(at, at, id);
      }
      return { result: 'archived' as const, files: [] as string[] };
    }

    const models = db.prepare('SELECT * FROM models WHERE product_id = ?').all(id) as ModelRow[];
    db.prepare('DELETE FROM models WHERE product_id = ?').run(id);
    db.prepare('DELETE FROM products WHERE id = ?').run(id);
    return { result: 'deleted' as const, files: unreferencedFiles(context, row, models) };
  });

  if (outcome.result === 'archived') {
    return { id, outcome: 'archived', product: getAdminProduct(context, id) };
  }
  removeFilesQuietly(context, outcome.files);
  return { id, outcome: 'deleted' };
}

/**
 * Absolute paths of the files that belonged to deleted rows and that no remaining row uses.
 * Originals and posters are content-named, so another product may share them.
 */
function unreferencedFiles(context: AppContext, product: ProductRow, models: ModelRow[]): string[] {
  const { db, paths } = context;
  const files: string[] = [];
  const posterInUse = db.prepare(
    'SELECT 1 FROM products WHERE poster_path = ? UNION ALL SELECT 1 FROM models WHERE poster_path = ? LIMIT 1',
  );
  const originalInUse = db.prepare('SELECT 1 FROM models WHERE original_path = ? LIMIT 1');

  const posters = new Set<string>();
  if (product.poster_path) posters.add(product.poster_path);
  for (const model of models) {
    if (model.poster_path) posters.add(model.poster_path);
    if (model.preview_path) files.push(path.join(paths.public, model.preview_path));
    if (!originalInUse.get(model.original_path)) {
      files.push(path.resolve(paths.originals, model.original_path));
    }
  }
  for (const poster of posters) {
    if (!posterInUse.get(poster, poster)) files.push(path.join(paths.public, poster));
  }
  return [...new Set(files)];
}

function removeFilesQuietly(context: AppContext, files: string[]): void {
  const log = context.logger.child({ area: 'catalog' });
  for (const file of files) {
    try {
      fs.rmSync(file, { force: true });
    } catch (error) {
      log.warn({ file, err: error }, 'could not remove a file of a deleted product');
    }
  }
}
