import { Document, NodeIO } from '@gltf-transform/core';
import { cross, add, sub, scale, normalize, type Vec3 } from './vec3.js';

/**
 * Models the project makes itself, for the demo catalog and for tests: no downloaded assets.
 * Each function returns a glTF-Transform Document with PBR materials; {@link toGlb} writes it.
 */

interface MaterialSpec {
  name: string;
  color: Vec3;
  metallic: number;
  roughness: number;
  doubleSided?: boolean;
}

interface PartSpec {
  positions: number[];
  normals: number[];
  indices: number[];
  material: MaterialSpec;
}

function documentOf(name: string, parts: PartSpec[]): Document {
  const document = new Document();
  document.getRoot().getAsset().generator = 'Vitrine procedural models';
  const buffer = document.createBuffer();
  const mesh = document.createMesh(name);
  for (const part of parts) {
    const spec = part.material;
    const material = document
      .createMaterial(spec.name)
      .setBaseColorFactor([...spec.color, 1])
      .setMetallicFactor(spec.metallic)
      .setRoughnessFactor(spec.roughness)
      .setDoubleSided(spec.doubleSided ?? false);
    const vertexCount = part.positions.length / 3;
    const indexArray =
      vertexCount > 65535 ? new Uint32Array(part.indices) : new Uint16Array(part.indices);
    const primitive = document
      .createPrimitive()
      .setAttribute(
        'POSITION',
        document
          .createAccessor()
          .setType('VEC3')
          .setArray(new Float32Array(part.positions))
          .setBuffer(buffer),
      )
      .setAttribute(
        'NORMAL',
        document
          .createAccessor()
          .setType('VEC3')
          .setArray(new Float32Array(part.normals))
          .setBuffer(buffer),
      )
      .setIndices(
        document.createAccessor().setType('SCALAR').setArray(indexArray).setBuffer(buffer),
      )
      .setMaterial(material);
    mesh.addPrimitive(primitive);
  }
  const node = document.createNode(name).setMesh(mesh);
  const scene = document.createScene('Scene').addChild(node);
  document.getRoot().setDefaultScene(scene);
  return document;
}

/** Adds a flat-shaded triangle: three fresh vertices sharing the face normal. */
function pushFlatTriangle(part: PartSpec, a: Vec3, b: Vec3, c: Vec3): void {
  const normal = normalize(cross(sub(b, a), sub(c, a)));
  const base = part.positions.length / 3;
  for (const corner of [a, b, c]) {
    part.positions.push(...corner);
    part.normals.push(...normal);
  }
  part.indices.push(base, base + 1, base + 2);
}

/**
 * A round brilliant-cut gem: an octagonal table, a crown of 24 facets down to a 16-sided
 * girdle, and a pavilion of 16 facets to the culet. 48 flat-shaded triangles.
 */
export function createGemDocument(color: Vec3 = [0.62, 0.02, 0.09]): Document {
  const part: PartSpec = {
    positions: [],
    normals: [],
    indices: [],
    material: { name: 'Gem', color, metallic: 0.1, roughness: 0.08 },
  };
  const ring = (count: number, radius: number, y: number, offset = 0): Vec3[] =>
    Array.from({ length: count }, (_, i) => {
      const angle = ((i + offset) / count) * Math.PI * 2;
      return [Math.cos(angle) * radius, y, Math.sin(angle) * radius];
    });
  const table = ring(8, 0.55, 0.38, 0.5);
  const girdle = ring(16, 1, 0);
  const tableCenter: Vec3 = [0, 0.38, 0];
  const culet: Vec3 = [0, -0.95, 0];

  for (let i = 0; i < 8; i += 1) {
    const t0 = table[i]!;
    const t1 = table[(i + 1) % 8]!;
    const g0 = girdle[(2 * i + 1) % 16]!;
    const g1 = girdle[(2 * i + 2) % 16]!;
    const g2 = girdle[(2 * i + 3) % 16]!;
    pushFlatTriangle(part, tableCenter, t1, t0);
    pushFlatTriangle(part, t0, g1, g0);
    pushFlatTriangle(part, t0, t1, g1);
    pushFlatTriangle(part, t1, g2, g1);
  }
  for (let j = 0; j < 16; j += 1) {
    pushFlatTriangle(part, girdle[j]!, girdle[(j + 1) % 16]!, culet);
  }
  return documentOf('Gem', [part]);
}

/**
 * A (p, q) torus knot swept with a round tube, smooth-shaded. The defaults give 12 288
 * triangles; `tubularSegments` scales that up for tests that need a dense mesh.
 */
export function createTorusKnotDocument(
  options: {
    p?: number;
    q?: number;
    tubularSegments?: number;
    radialSegments?: number;
    color?: Vec3;
    metallic?: number;
    roughness?: number;
  } = {},
): Document {
  const { p = 2, q = 3, tubularSegments = 256, radialSegments = 24 } = options;
  const radius = 0.8;
  const tube = 0.16;
  const curve = (u: number): Vec3 => {
    const quOverP = (q / p) * u;
    const cs = Math.cos(quOverP);
    return [
      radius * (2 + cs) * 0.5 * Math.cos(u),
      radius * (2 + cs) * 0.5 * Math.sin(u),
      radius * Math.sin(quOverP) * 0.5,
    ];
  };

  const part: PartSpec = {
    positions: [],
    normals: [],
    indices: [],
    material: {
      name: 'Polished gold',
      color: options.color ?? [1, 0.71, 0.29],
      metallic: options.metallic ?? 1,
      roughness: options.roughness ?? 0.28,
    },
  };
  for (let i = 0; i <= tubularSegments; i += 1) {
    const u = (i / tubularSegments) * p * Math.PI * 2;
    const p1 = curve(u);
    const p2 = curve(u + 0.01);
    const tangent = sub(p2, p1);
    let normal = add(p2, p1);
    const binormal = normalize(cross(tangent, normal));
    normal = normalize(cross(binormal, tangent));
    for (let j = 0; j <= radialSegments; j += 1) {
      const v = (j / radialSegments) * Math.PI * 2;
      const cx = -tube * Math.cos(v);
      const cy = tube * Math.sin(v);
      const vertex = add(p1, add(scale(normal, cx), scale(binormal, cy)));
      part.positions.push(...vertex);
      part.normals.push(...normalize(sub(vertex, p1)));
    }
  }
  for (let i = 1; i <= tubularSegments; i += 1) {
    for (let j = 1; j <= radialSegments; j += 1) {
      const a = (radialSegments + 1) * (i - 1) + (j - 1);
      const b = (radialSegments + 1) * i + (j - 1);
      const c = (radialSegments + 1) * i + j;
      const d = (radialSegments + 1) * (i - 1) + j;
      part.indices.push(a, b, d, b, c, d);
    }
  }
  return documentOf('Torus knot', [part]);
}

/**
 * A low-poly vase turned from a profile with 14 sides, flat-shaded: a terracotta body and a
 * glazed neck, open at the top (double-sided so the inside shows).
 */
export function createVaseDocument(): Document {
  const sides = 14;
  const profile: [number, number][] = [
    [0.36, 0],
    [0.5, 0.14],
    [0.6, 0.42],
    [0.55, 0.72],
    [0.36, 0.98],
    [0.26, 1.12],
    [0.27, 1.3],
    [0.36, 1.42],
  ];
  const glazeFrom = 4;
  const body: PartSpec = {
    positions: [],
    normals: [],
    indices: [],
    material: {
      name: 'Terracotta',
      color: [0.55, 0.17, 0.07],
      metallic: 0,
      roughness: 0.85,
      doubleSided: true,
    },
  };
  const glaze: PartSpec = {
    positions: [],
    normals: [],
    indices: [],
    material: {
      name: 'Celadon glaze',
      color: [0.2, 0.5, 0.42],
      metallic: 0,
      roughness: 0.18,
      doubleSided: true,
    },
  };
  const at = (level: number, side: number): Vec3 => {
    const [r, y] = profile[level]!;
    const angle = (side / sides) * Math.PI * 2;
    return [Math.cos(angle) * r, y, Math.sin(angle) * r];
  };
  for (let level = 0; level + 1 < profile.length; level += 1) {
    const part = level >= glazeFrom ? glaze : body;
    for (let side = 0; side < sides; side += 1) {
      const a = at(level, side);
      const b = at(level, side + 1);
      const c = at(level + 1, side + 1);
      const d = at(level + 1, side);
      pushFlatTriangle(part, a, d, c);
      pushFlatTriangle(part, a, c, b);
    }
  }
  const floor: Vec3 = [0, 0, 0];
  for (let side = 0; side < sides; side += 1) {
    pushFlatTriangle(body, floor, at(0, side), at(0, side + 1));
  }
  return documentOf('Vase', [body, glaze]);
}

/** Writes a document as GLB bytes. Procedural documents need no extensions. */
export async function toGlb(document: Document): Promise<Uint8Array> {
  return new NodeIO().writeBinary(document);
}
