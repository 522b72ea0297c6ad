import type { ModelFacts } from '@vitrine/shared';
import type { GltfJson } from './glb.js';

const TRIANGLES = 4;
const TRIANGLE_STRIP = 5;
const TRIANGLE_FAN = 6;

/**
 * Facts about a validated GLB, read from its JSON alone, so compressed meshes (Draco, meshopt)
 * need no decoding: accessor counts are declared in the JSON either way.
 *
 * Triangles and vertices count what the file defines, once per mesh primitive, not once per
 * node that instances the mesh. Vertices count each POSITION accessor once. Points and lines
 * add no triangles.
 */
export function computeFacts(json: GltfJson, file: { bytes: number; sha256: string }): ModelFacts {
  const accessors = json.accessors ?? [];
  const countOf = (index: number | undefined) =>
    index === undefined ? 0 : Math.max(0, Math.trunc(accessors[index]?.count ?? 0));

  let triangles = 0;
  const positions = new Set<number>();
  for (const mesh of json.meshes ?? []) {
    for (const primitive of mesh?.primitives ?? []) {
      const position = primitive.attributes?.POSITION;
      if (position !== undefined) positions.add(position);
      const drawn =
        primitive.indices !== undefined ? countOf(primitive.indices) : countOf(position);
      const mode = primitive.mode ?? TRIANGLES;
      if (mode === TRIANGLES) triangles += Math.floor(drawn / 3);
      else if (mode === TRIANGLE_STRIP || mode === TRIANGLE_FAN)
        triangles += Math.max(0, drawn - 2);
    }
  }
  let vertices = 0;
  for (const index of positions) vertices += countOf(index);

  return {
    bytes: file.bytes,
    sha256: file.sha256,
    format: 'glb',
    triangles,
    vertices,
    meshes: json.meshes?.length ?? 0,
    materials: json.materials?.length ?? 0,
    textures: json.textures?.length ?? 0,
    animations: json.animations?.length ?? 0,
    extensionsUsed: [...(json.extensionsUsed ?? [])],
    extensionsRequired: [...(json.extensionsRequired ?? [])],
  };
}
