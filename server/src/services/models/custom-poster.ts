import fs from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { VitrineError } from '@vitrine/shared';
import type { AppContext } from '../../context.js';
import { now, writeTransaction } from '../../db/database.js';
import { sha256Hex } from '../../ids.js';
import { requireProductRow, toProduct, type AdminProduct } from '../catalog.js';
import { writePublicFile } from './store.js';

/** Custom posters are scaled down to fit this many pixels a side. */
export const CUSTOM_POSTER_MAX = 2048;
/** Larger inputs are refused before decoding, against decompression bombs. */
const MAX_INPUT_PIXELS = 8192 * 8192;

/**
 * Stores a poster the owner uploaded (the desktop app frames the model and sends a PNG or
 * JPEG). The image is decoded with sharp, turned upright by its EXIF orientation, scaled to fit
 * {@link CUSTOM_POSTER_MAX} and re-encoded in its own format, which also drops EXIF and other
 * metadata such as a camera's GPS position. The file is named by its content and wins over the
 * generated poster. The previous custom poster is removed when nothing else uses it.
 */
export async function storeCustomPoster(
  context: AppContext,
  productId: string,
  body: Buffer,
): Promise<AdminProduct> {
  requireProductRow(context.db, productId);
  let format: 'png' | 'jpeg';
  let image: Buffer;
  try {
    const input = sharp(body, { limitInputPixels: MAX_INPUT_PIXELS, failOn: 'error' });
    const metadata = await input.metadata();
    if (metadata.format !== 'png' && metadata.format !== 'jpeg') {
      throw new Error(`format ${metadata.format ?? 'unknown'}`);
    }
    format = metadata.format;
    const pipeline = input.rotate().resize({
      width: CUSTOM_POSTER_MAX,
      height: CUSTOM_POSTER_MAX,
      fit: 'inside',
      withoutEnlargement: true,
    });
    image =
      format === 'png'
        ? await pipeline.png().toBuffer()
        : await pipeline.jpeg({ quality: 88, mozjpeg: true }).toBuffer();
  } catch (error) {
    throw new VitrineError(
      'invalid_request',
      'The poster is not a readable PNG or JPEG image (or it is larger than 8192 × 8192 pixels).',
      {
        hint: 'Send the image bytes as the body with Content-Type image/png or image/jpeg.',
        cause: error,
      },
    );
  }

  const relative = await writePublicFile(
    context,
    'posters',
    `${sha256Hex(image)}.${format === 'png' ? 'png' : 'jpg'}`,
    image,
  );
  let previous: string | null;
  try {
    previous = writeTransaction(context.db, () => {
      const row = requireProductRow(context.db, productId);
      context.db
        .prepare('UPDATE products SET poster_path = ?, updated_at = ? WHERE id = ?')
        .run(relative, now(), productId);
      return row.poster_path;
    });
  } catch (error) {
    // The product was deleted while the image was processed: nothing may point at the file.
    removePosterIfUnused(context, relative);
    throw error;
  }
  if (previous && previous !== relative) removePosterIfUnused(context, previous);
  return toProduct(context, requireProductRow(context.db, productId));
}

/** Drops the custom poster, so the generated one (if any) shows again. */
export function removeCustomPoster(context: AppContext, productId: string): AdminProduct {
  const previous = writeTransaction(context.db, () => {
    const row = requireProductRow(context.db, productId);
    if (row.poster_path) {
      context.db
        .prepare('UPDATE products SET poster_path = NULL, updated_at = ? WHERE id = ?')
        .run(now(), productId);
    }
    return row.poster_path;
  });
  if (previous) removePosterIfUnused(context, previous);
  return toProduct(context, requireProductRow(context.db, productId));
}

function removePosterIfUnused(context: AppContext, relative: string): void {
  const used = context.db
    .prepare(
      'SELECT 1 FROM products WHERE poster_path = ? UNION ALL SELECT 1 FROM models WHERE poster_path = ? LIMIT 1',
    )
    .get(relative, relative);
  if (used) return;
  try {
    fs.rmSync(path.join(context.paths.public, relative), { force: true });
  } catch (error) {
    context.logger
      .child({ area: 'catalog' })
      .warn({ file: relative, err: error }, 'could not remove an old poster');
  }
}
