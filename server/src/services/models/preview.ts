import type { Document } from '@gltf-transform/core';
import {
  dedup,
  dequantize,
  meshopt,
  prune,
  simplify,
  textureCompress,
  weld,
} from '@gltf-transform/functions';
import sharp from 'sharp';
import type { GltfJson } from './glb.js';
import { MeshoptEncoder, MeshoptSimplifier } from './io.js';

/** Above this many triangles the preview is simplified down to it, whatever the error. */
export const PREVIEW_TRIANGLE_BUDGET = 150_000;
/** Preview textures fit within this many pixels a side. */
export const PREVIEW_TEXTURE_MAX = 1024;

/**
 * A model is read for its preview only while its accessors decode to at most this many bytes,
 * or twice its file size when that is more. Accessors without a buffer view (all zeros by the
 * spec, or sparse, or Draco) and buffer views shared by many accessors can declare gigabytes in
 * a few bytes, and decoding them would take the memory and block the server for minutes.
 */
export const PREVIEW_DECODED_BYTES_FLOOR = 512 * 1024 ** 2;

const COMPONENT_BYTES: Record<number, number> = {
  5120: 1,
  5121: 1,
  5122: 2,
  5123: 2,
  5125: 4,
  5126: 4,
};
const TYPE_COMPONENTS: Record<string, number> = {
  SCALAR: 1,
  VEC2: 2,
  VEC3: 3,
  VEC4: 4,
  MAT2: 4,
  MAT3: 9,
  MAT4: 16,
};

/** Bytes that all accessors of a glTF document declare once decoded, read from its JSON. */
export function decodedAccessorBytes(json: GltfJson): number {
  let bytes = 0;
  for (const accessor of json.accessors ?? []) {
    const count = Math.max(0, Number(accessor?.count) || 0);
    const components = TYPE_COMPONENTS[String(accessor?.type)] ?? 16;
    bytes += count * components * (COMPONENT_BYTES[Number(accessor?.componentType)] ?? 4);
  }
  return bytes;
}

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
    // Already-quantized input (KHR_mesh_quantization, as meshopt files carry) goes back to
    // floats first: quantizing it a second time at the end collapses it to a point.
    dequantize(),
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
