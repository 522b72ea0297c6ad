import { Readable } from 'node:stream';
import { Document, NodeIO } from '@gltf-transform/core';
import sharp from 'sharp';
import { buildGlb, CHUNK_BIN, CHUNK_JSON, GLB_MAGIC } from '../../src/services/models/glb.js';

/**
 * GLBs the catalog tests build themselves, so they pass in a clone without the shared
 * fixtures. Each one is small and has known facts.
 */

/** A unit cube written by hand: 24 vertices, 36 indices (12 triangles), one material. */
export function boxGlb(options: { bufferUri?: string; imageUri?: string } = {}): Buffer {
  const positions: number[] = [];
  const normals: number[] = [];
  const indices: number[] = [];
  const faces: [number[], number[], number[]][] = [
    [
      [1, 0, 0],
      [0, 1, 0],
      [0, 0, 1],
    ],
    [
      [-1, 0, 0],
      [0, 0, 1],
      [0, 1, 0],
    ],
    [
      [0, 1, 0],
      [0, 0, 1],
      [1, 0, 0],
    ],
    [
      [0, -1, 0],
      [1, 0, 0],
      [0, 0, 1],
    ],
    [
      [0, 0, 1],
      [1, 0, 0],
      [0, 1, 0],
    ],
    [
      [0, 0, -1],
      [0, 1, 0],
      [1, 0, 0],
    ],
  ];
  for (const [n, u, v] of faces) {
    const base = positions.length / 3;
    for (const [su, sv] of [
      [-1, -1],
      [1, -1],
      [1, 1],
      [-1, 1],
    ] as const) {
      for (let k = 0; k < 3; k += 1)
        positions.push(0.5 * n[k]! + 0.5 * su * u[k]! + 0.5 * sv * v[k]!);
      normals.push(...n);
    }
    indices.push(base, base + 1, base + 2, base, base + 2, base + 3);
  }
  const pos = Buffer.from(new Float32Array(positions).buffer);
  const nor = Buffer.from(new Float32Array(normals).buffer);
  const idx = Buffer.from(new Uint16Array(indices).buffer);
  const bin = Buffer.concat([pos, nor, idx]);

  const json: Record<string, unknown> = {
    asset: { version: '2.0', generator: 'vitrine tests' },
    scene: 0,
    scenes: [{ nodes: [0] }],
    nodes: [{ mesh: 0 }],
    meshes: [{ primitives: [{ attributes: { POSITION: 0, NORMAL: 1 }, indices: 2, material: 0 }] }],
    materials: [{ pbrMetallicRoughness: { baseColorFactor: [0.2, 0.4, 0.9, 1] } }],
    buffers: [{ byteLength: bin.length, ...(options.bufferUri ? { uri: options.bufferUri } : {}) }],
    bufferViews: [
      { buffer: 0, byteOffset: 0, byteLength: pos.length, target: 34962 },
      { buffer: 0, byteOffset: pos.length, byteLength: nor.length, target: 34962 },
      { buffer: 0, byteOffset: pos.length + nor.length, byteLength: idx.length, target: 34963 },
    ],
    accessors: [
      {
        bufferView: 0,
        componentType: 5126,
        count: 24,
        type: 'VEC3',
        min: [-0.5, -0.5, -0.5],
        max: [0.5, 0.5, 0.5],
      },
      { bufferView: 1, componentType: 5126, count: 24, type: 'VEC3' },
      { bufferView: 2, componentType: 5123, count: 36, type: 'SCALAR' },
    ],
  };
  if (options.imageUri) {
    json.images = [{ uri: options.imageUri }];
    json.textures = [{ source: 0 }];
  }
  // An external buffer lives outside the GLB, so there is no BIN chunk for it.
  return buildGlb(json, options.bufferUri ? undefined : bin);
}

/** A plane with a `size`×`size` PNG base colour texture (a smooth gradient, so it stays small). */
export async function texturedGlb(size: number): Promise<Uint8Array> {
  const pixels = Buffer.alloc(size * size * 3);
  for (let y = 0; y < size; y += 1) {
    for (let x = 0; x < size; x += 1) {
      const i = (y * size + x) * 3;
      pixels[i] = Math.floor((x / size) * 255);
      pixels[i + 1] = Math.floor((y / size) * 255);
      pixels[i + 2] = 128;
    }
  }
  const png = await sharp(pixels, { raw: { width: size, height: size, channels: 3 } })
    .png()
    .toBuffer();

  const document = new Document();
  const buffer = document.createBuffer();
  const texture = document.createTexture('gradient').setImage(png).setMimeType('image/png');
  const material = document.createMaterial('textured').setBaseColorTexture(texture);
  const accessor = (type: 'VEC2' | 'VEC3' | 'SCALAR', array: Float32Array | Uint16Array) =>
    document.createAccessor().setType(type).setArray(array).setBuffer(buffer);
  const primitive = document
    .createPrimitive()
    .setAttribute(
      'POSITION',
      accessor('VEC3', new Float32Array([-1, -1, 0, 1, -1, 0, 1, 1, 0, -1, 1, 0])),
    )
    .setAttribute(
      'NORMAL',
      accessor('VEC3', new Float32Array([0, 0, 1, 0, 0, 1, 0, 0, 1, 0, 0, 1])),
    )
    .setAttribute('TEXCOORD_0', accessor('VEC2', new Float32Array([0, 1, 1, 1, 1, 0, 0, 0])))
    .setIndices(accessor('SCALAR', new Uint16Array([0, 1, 2, 0, 2, 3])))
    .setMaterial(material);
  const node = document
    .createNode('plane')
    .setMesh(document.createMesh('plane').addPrimitive(primitive));
  document.getRoot().setDefaultScene(document.createScene().addChild(node));
  return new NodeIO().writeBinary(document);
}

/**
 * A valid GLB of `padding` + a few bytes, produced chunk by chunk: one triangle at the start of
 * the BIN chunk and zeros after it. Neither side ever holds the whole file in memory.
 */
export function paddedGlbStream(padding: number): { stream: Readable; bytes: number } {
  const triangle = Buffer.from(new Float32Array([0, 0, 0, 1, 0, 0, 0, 1, 0]).buffer);
  const binLength = triangle.length + padding + ((4 - ((triangle.length + padding) % 4)) % 4);
  const json = {
    asset: { version: '2.0' },
    scene: 0,
    scenes: [{ nodes: [0] }],
    nodes: [{ mesh: 0 }],
    meshes: [{ primitives: [{ attributes: { POSITION: 0 } }] }],
    buffers: [{ byteLength: binLength }],
    bufferViews: [{ buffer: 0, byteOffset: 0, byteLength: triangle.length, target: 34962 }],
    accessors: [
      {
        bufferView: 0,
        componentType: 5126,
        count: 3,
        type: 'VEC3',
        min: [0, 0, 0],
        max: [1, 1, 0],
      },
    ],
  };
  let jsonBytes = Buffer.from(JSON.stringify(json));
  jsonBytes = Buffer.concat([jsonBytes, Buffer.alloc((4 - (jsonBytes.length % 4)) % 4, 0x20)]);
  const total = 12 + 8 + jsonBytes.length + 8 + binLength;

  const head = Buffer.alloc(12 + 8);
  head.writeUInt32LE(GLB_MAGIC, 0);
  head.writeUInt32LE(2, 4);
  head.writeUInt32LE(total, 8);
  head.writeUInt32LE(jsonBytes.length, 12);
  head.writeUInt32LE(CHUNK_JSON, 16);
  const binHead = Buffer.alloc(8);
  binHead.writeUInt32LE(binLength, 0);
  binHead.writeUInt32LE(CHUNK_BIN, 4);

  const zeros = Buffer.alloc(1024 * 1024);
  let remaining = binLength - triangle.length;
  function* chunks(): Generator<Buffer> {
    yield Buffer.concat([head, jsonBytes, binHead, triangle]);
    while (remaining > 0) {
      const n = Math.min(remaining, zeros.length);
      remaining -= n;
      yield zeros.subarray(0, n);
    }
  }
  return { stream: Readable.from(chunks(), { objectMode: false }), bytes: total };
}

/** The JSON chunk of a GLB, for assertions. */
export function jsonChunk(glb: Uint8Array): Record<string, unknown> {
  const view = new DataView(glb.buffer, glb.byteOffset, glb.byteLength);
  const length = view.getUint32(12, true);
  return JSON.parse(Buffer.from(glb.subarray(20, 20 + length)).toString('utf8')) as Record<
    string,
    unknown
  >;
}
