import type { Document } from '@gltf-transform/core';
import { dedup, meshopt, prune, simplify, textureCompress, weld } from '@gltf-transform/functions';
import sharp from 'sharp';
import { MeshoptEncoder, MeshoptSimplifier } from './io.js';

/** Above this many triangles the preview is simplified down to it, whatever the error. */
export const PREVIEW_TRIANGLE_BUDGET = 150_000;
/** Preview textures fit within this many pixels a side. */
export const PREVIEW_TEXTURE_MAX = 1024;

/** Triangles drawn by all mesh primitives of a document, as defined (not per instance). */
export function countTriangles(document: Document): number {
  let triangles = 0;
  for (const mesh of document.getRoot().listMeshes()) {
    for (const primitive of mesh.listPrimitives()) {
      if (primitive.getMode() !== 4) continue;
      const indices = primitive.getIndices();
      const count = indices
        ? indices.getCount()
        : (primitive.getAttribute('POSITION')?.getCount() ?? 0);
      triangles += Math.floor(count / 3);
    }
  }
  return triangles;
}

/**
 * First half of the preview: geometry. Drops Draco (the preview uses meshopt instead), merges
 * duplicate data, welds vertices and simplifies with meshoptimizer: to half the triangles
 * within a 0.1 % error for ordinary models, and down to the budget for very dense ones. The
 * poster is drawn from the result, before quantization moves vertices into integer space.
 */
export async function simplifyForPreview(document: Document): Promise<void> {
  for (const extension of document.getRoot().listExtensionsUsed()) {
    if (extension.extensionName === 'KHR_draco_mesh_compression') extension.dispose();
  }
  const triangles = countTriangles(document);
  const overBudget = triangles > PREVIEW_TRIANGLE_BUDGET;
  await document.transform(
    dedup(),
    weld(),
    simplify({
      simplifier: MeshoptSimplifier,
      ratio: overBudget ? PREVIEW_TRIANGLE_BUDGET / triangles : 0.5,
      error: overBudget ? 0.01 : 0.001,
    }),
  );
}

/**
 * Second half: textures fit within {@link PREVIEW_TEXTURE_MAX} (PNG, JPEG and WebP, through
 * sharp; KTX2 and other GPU formats are left as they are), unused data pruned, and geometry
 * quantized and compressed with EXT_meshopt_compression, which three.js' GLTFLoader reads
 * with its MeshoptDecoder.
 */
export async function compressForPreview(document: Document): Promise<void> {
  await document.transform(
    textureCompress({
      encoder: sharp,
      resize: [PREVIEW_TEXTURE_MAX, PREVIEW_TEXTURE_MAX],
      // Matched against the MIME type.
      formats: /^image\/(png|jpeg|webp)$/,
    }),
    prune(),
    meshopt({ encoder: MeshoptEncoder, level: 'medium' }),
  );
}
