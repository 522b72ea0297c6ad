/**
 * The GLB container: a 12-byte header (magic "glTF", version 2, total length) followed by
 * chunks of `length, type, data`, the first one JSON and an optional second one BIN.
 * @see https://registry.khronos.org/glTF/specs/2.0/glTF-2.0.html#binary-gltf-layout
 */
export const GLB_MAGIC = 0x46546c67;
export const CHUNK_JSON = 0x4e4f534a;
export const CHUNK_BIN = 0x004e4942;

/** The part of a glTF JSON document Vitrine reads. Everything is optional in bad input. */
export interface GltfJson {
  asset?: { version?: string; generator?: string };
  extensionsUsed?: string[];
  extensionsRequired?: string[];
  buffers?: { uri?: string; byteLength?: number }[];
  images?: { uri?: string; mimeType?: string; bufferView?: number }[];
  nodes?: { children?: unknown }[];
  accessors?: { count?: number; type?: string; componentType?: number; bufferView?: number }[];
  meshes?: {
    primitives?: { attributes?: Record<string, number>; indices?: number; mode?: number }[];
  }[];
  materials?: unknown[];
  textures?: unknown[];
  animations?: unknown[];
}

/** True when the first bytes look like a text glTF (JSON) rather than a binary GLB. */
export function looksLikeJson(head: Uint8Array): boolean {
  let i = 0;
  // Skip a UTF-8 byte order mark, then whitespace.
  if (head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf) i = 3;
  while (i < head.length && [0x20, 0x09, 0x0a, 0x0d].includes(head[i]!)) i += 1;
  return head[i] === 0x7b; // "{"
}

/**
 * The JSON chunk of a GLB that has already passed validation. Throws a TypeError naming the
 * problem when the bytes are not a GLB; callers validate first.
 */
export function readGlbJson(glb: Uint8Array): GltfJson {
  const view = new DataView(glb.buffer, glb.byteOffset, glb.byteLength);
  if (glb.byteLength < 20 || view.getUint32(0, true) !== GLB_MAGIC) {
    throw new TypeError('readGlbJson(): the bytes are not a GLB');
  }
  const length = view.getUint32(12, true);
  if (view.getUint32(16, true) !== CHUNK_JSON || 20 + length > glb.byteLength) {
    throw new TypeError('readGlbJson(): the first chunk is not a complete JSON chunk');
  }
  const text = new TextDecoder('utf-8').decode(glb.subarray(20, 20 + length));
  return JSON.parse(text) as GltfJson;
}

/**
 * Builds a GLB from a JSON document and an optional BIN payload, padding both chunks to 4
 * bytes as the spec requires (JSON with spaces, BIN with zeros).
 */
export function buildGlb(json: object, bin?: Uint8Array): Buffer {
  let jsonBytes = Buffer.from(JSON.stringify(json), 'utf8');
  jsonBytes = Buffer.concat([jsonBytes, Buffer.alloc((4 - (jsonBytes.length % 4)) % 4, 0x20)]);
  const binPadded = bin
    ? Buffer.concat([bin, Buffer.alloc((4 - (bin.length % 4)) % 4)])
    : undefined;
  const total = 12 + 8 + jsonBytes.length + (binPadded ? 8 + binPadded.length : 0);

  const header = Buffer.alloc(20);
  header.writeUInt32LE(GLB_MAGIC, 0);
  header.writeUInt32LE(2, 4);
  header.writeUInt32LE(total, 8);
  header.writeUInt32LE(jsonBytes.length, 12);
  header.writeUInt32LE(CHUNK_JSON, 16);
  const parts: Buffer[] = [header, jsonBytes];
  if (binPadded) {
    const binHeader = Buffer.alloc(8);
    binHeader.writeUInt32LE(binPadded.length, 0);
    binHeader.writeUInt32LE(CHUNK_BIN, 4);
    parts.push(binHeader, binPadded);
  }
  return Buffer.concat(parts, total);
}
