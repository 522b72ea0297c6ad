import fs from 'node:fs';
import path from 'node:path';
import type { Document } from '@gltf-transform/core';
import { VitrineError, type ModelFacts } from '@vitrine/shared';
import type { AppContext } from '../../context.js';
import { now, writeTransaction } from '../../db/database.js';
import { newId, sha256Hex } from '../../ids.js';
import {
  getModelRow,
  requireProductRow,
  toProduct,
  type AdminProduct,
  type ProductRow,
} from '../catalog.js';
import { computeFacts } from './facts.js';
import { readGlbJson } from './glb.js';
import { createModelIO } from './io.js';
import { renderPoster } from './poster.js';
import {
  compressForPreview,
  decodedAccessorBytes,
  PREVIEW_DECODED_BYTES_FLOOR,
  simplifyForPreview,
} from './preview.js';
import { promoteOriginal, readWholeFile, writePublicFile, type ReceivedFile } from './store.js';
import { validateGlb, type ModelIssue } from './validate.js';

export interface IngestResult {
  modelId: string;
  facts: ModelFacts;
  product: AdminProduct;
  /** The validator's warnings, infos and hints: they did not refuse the file. */
  issues: ModelIssue[];
}

let tail: Promise<unknown> = Promise.resolve();

/**
 * Runs model work one at a time per process. Validation and preview hold whole files in
 * memory, so two large uploads at once would double the peak; they queue instead.
 */
function exclusive<T>(work: () => Promise<T>): Promise<T> {
  const run = tail.then(work, work);
  tail = run.catch(() => undefined);
  return run;
}

export function assertTakesModel(row: ProductRow): void {
  if (row.type === 'physical') {
    throw new VitrineError(
      'conflict',
      `Product ${row.id} is a physical product, and only digital and hybrid products take a model file.`,
      {
        hint: 'Change the product type to digital or hybrid first, or create a digital product for the file.',
      },
    );
  }
}

/** A safe download name from what the client sent: no folders, no control characters, `.glb`. */
export function cleanFilename(sent: string | undefined, fallbackStem: string): string {
  let name = path.basename((sent ?? '').replace(/\\/g, '/'));
  name = name
    .replace(/[\u0000-\u001f\u007f"]/g, '')
    .trim()
    .slice(0, 200);
  if (!name || name === '.' || name === '..') name = fallbackStem;
  return /\.glb$/i.test(name) ? name : `${name}.glb`;
}

/**
 * Takes a received file through the whole pipeline for one product:
 * 1. validation (glTF-Validator, GLB only, no external resources) and facts;
 * 2. the atomic rename to `originals/<sha256>.glb`, then one transaction that inserts the
 *    `models` row and points the product at it;
 * 3. the preview copy and the generated poster. Their failure does not lose the upload: the
 *    product then has `previewUrl: null` (and no generated poster) and a warning is logged.
 * The temporary file is gone when this settles, whatever happened. A model the product had
 * before is retired: deleted when no order refers to it, else kept for those orders.
 */
export async function ingestModel(
  context: AppContext,
  productId: string,
  received: ReceivedFile,
  filename: string,
): Promise<IngestResult> {
  const log = context.logger.child({ area: 'catalog' });
  try {
    return await exclusive(async () => {
      assertTakesModel(requireProductRow(context.db, productId));
      const bytes = await readWholeFile(received.tmpPath, received.bytes);
      const { json, notes } = await validateGlb(bytes);
      const facts = computeFacts(json, received);
      const original = await promoteOriginal(context, received);

      let modelId: string;
      let retired: string[];
      try {
        ({ modelId, retired } = writeTransaction(context.db, () => {
          const row = requireProductRow(context.db, productId);
          assertTakesModel(row);
          const id = newId('mdl', 12);
          const at = now();
          context.db
            .prepare(
              `INSERT INTO models (id, product_id, sha256, bytes, original_path, original_filename,
                 preview_path, poster_path, facts_json, created_at)
               VALUES (?, ?, ?, ?, ?, ?, NULL, NULL, ?, ?)`,
            )
            .run(
              id,
              productId,
              facts.sha256,
              facts.bytes,
              original.relativePath,
              filename,
              JSON.stringify(facts),
              at,
            );
          context.db
            .prepare('UPDATE products SET model_id = ?, updated_at = ? WHERE id = ?')
            .run(id, at, productId);
          return { modelId: id, retired: row.model_id ? retireModel(context, row.model_id) : [] };
        }));
      } catch (error) {
        if (original.created) removeIfUnreferenced(context, original.relativePath);
        throw error;
      }
      removeFiles(context, retired);
      log.info(
        {
          productId,
          modelId,
          bytes: facts.bytes,
          sha256: facts.sha256,
          warnings: notes.filter((n) => n.severity === 'warning').length,
        },
        'model stored',
      );

      const derived = await deriveFiles(context, modelId, bytes, facts);
      return {
        modelId,
        facts: derived.facts,
        product: toProduct(context, requireProductRow(context.db, productId)),
        issues: notes,
      };
    });
  } finally {
    await fs.promises.rm(received.tmpPath, { force: true });
  }
}

/**
 * Makes the preview copy and the poster of a stored model and records them on its row.
 * Never throws: a failure is logged and leaves the path null. A model that declares more
 * decoded data than {@link PREVIEW_DECODED_BYTES_FLOOR} (or twice its size) is not read at
 * all. When the row is gone by the end (its product was deleted meanwhile), the files just
 * made are removed again and both paths are null.
 */
export async function deriveFiles(
  context: AppContext,
  modelId: string,
  original: Uint8Array,
  facts: ModelFacts,
): Promise<{ facts: ModelFacts; previewPath: string | null; posterPath: string | null }> {
  const log = context.logger.child({ area: 'catalog' });
  let previewPath: string | null = null;
  let posterPath: string | null = null;
  let previewBytes: number | undefined;

  let io;
  let document: Document | undefined;
  try {
    const decoded = decodedAccessorBytes(readGlbJson(original));
    const limit = Math.max(PREVIEW_DECODED_BYTES_FLOOR, 2 * original.byteLength);
    if (decoded > limit) {
      throw new Error(
        `its accessors declare ${decoded} bytes of decoded data, more than the ${limit} a preview may decode`,
      );
    }
    io = await createModelIO(log);
    document = await io.readBinary(original);
    await simplifyForPreview(document);
  } catch (error) {
    log.warn(
      { modelId, err: error },
      'could not read the model for its preview and poster; the product shows no preview',
    );
  }

  if (io && document) {
    try {
      const png = await renderPoster(document);
      posterPath = await writePublicFile(context, 'posters', `${sha256Hex(png)}.png`, png);
    } catch (error) {
      log.warn(
        { modelId, err: error },
        'could not draw a poster for the model; the product has no generated poster',
      );
    }
    try {
      await compressForPreview(document);
      const preview = await io.writeBinary(document);
      // The preview is public; it must never be the paid original itself.
      if (sha256Hex(Buffer.from(preview)) === facts.sha256) {
        throw new Error('the preview came out byte-identical to the original');
      }
      previewPath = await writePublicFile(context, 'previews', `${modelId}.glb`, preview);
      previewBytes = preview.byteLength;
    } catch (error) {
      log.warn(
        { modelId, err: error },
        'could not make the preview copy; the product shows no 3D preview (previewUrl null)',
      );
    }
  }

  const updated: ModelFacts = previewBytes === undefined ? facts : { ...facts, previewBytes };
  const kept = writeTransaction(context.db, () => {
    const { changes } = context.db
      .prepare('UPDATE models SET preview_path = ?, poster_path = ?, facts_json = ? WHERE id = ?')
      .run(previewPath, posterPath, JSON.stringify(updated), modelId);
    return changes > 0;
  });
  if (!kept) {
    // The product was deleted meanwhile: nothing points at these files, and /files would
    // serve them for good. Posters are content-named, so another product may share one.
    const orphans = previewPath ? [path.join(context.paths.public, previewPath)] : [];
    if (posterPath && !posterInUse(context, posterPath)) {
      orphans.push(path.join(context.paths.public, posterPath));
    }
    removeFiles(context, orphans);
    log.info({ modelId }, 'model was removed while its preview was made; dropped the new files');
    return { facts: updated, previewPath: null, posterPath: null };
  }
  return { facts: updated, previewPath, posterPath };
}

/**
 * Inside the caller's transaction: a model that is no longer its product's current one loses
 * its preview and poster, and its row too when no order refers to it. Returns the files
 * (absolute paths) that nothing references any more, for removal after the commit.
 */
function retireModel(context: AppContext, modelId: string): string[] {
  const { db, paths } = context;
  const model = getModelRow(db, modelId);
  if (!model) return [];
  const ordered = db
    .prepare(
      'SELECT 1 FROM order_items WHERE model_id = ? UNION ALL SELECT 1 FROM download_grants WHERE model_id = ? LIMIT 1',
    )
    .get(modelId, modelId);
  if (ordered) {
    db.prepare('UPDATE models SET preview_path = NULL, poster_path = NULL WHERE id = ?').run(
      modelId,
    );
  } else {
    db.prepare('DELETE FROM models WHERE id = ?').run(modelId);
  }

  const files: string[] = [];
  if (model.preview_path) files.push(path.join(paths.public, model.preview_path));
  if (
    model.poster_path &&
    !db
      .prepare(
        'SELECT 1 FROM products WHERE poster_path = ? UNION ALL SELECT 1 FROM models WHERE poster_path = ? LIMIT 1',
      )
      .get(model.poster_path, model.poster_path)
  ) {
    files.push(path.join(paths.public, model.poster_path));
  }
  if (
    !ordered &&
    !db.prepare('SELECT 1 FROM models WHERE original_path = ? LIMIT 1').get(model.original_path)
  ) {
    files.push(path.resolve(paths.originals, model.original_path));
  }
  return files;
}

function posterInUse(context: AppContext, relativePath: string): boolean {
  const used = context.db
    .prepare(
      'SELECT 1 FROM products WHERE poster_path = ? UNION ALL SELECT 1 FROM models WHERE poster_path = ? LIMIT 1',
    )
    .get(relativePath, relativePath);
  return used !== undefined;
}

function removeIfUnreferenced(context: AppContext, relativePath: string): void {
  const used = context.db
    .prepare('SELECT 1 FROM models WHERE original_path = ? LIMIT 1')
    .get(relativePath);
  if (!used) removeFiles(context, [path.resolve(context.paths.originals, relativePath)]);
}

function removeFiles(context: AppContext, files: string[]): void {
  for (const file of files) {
    try {
      fs.rmSync(file, { force: true });
    } catch (error) {
      context.logger
        .child({ area: 'catalog' })
        .warn({ file, err: error }, 'could not remove a retired model file');
    }
  }
}
