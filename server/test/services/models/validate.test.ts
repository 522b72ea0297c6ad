import { describe, expect, it } from 'vitest';
import { VitrineError } from '@vitrine/shared';
import { buildGlb, CHUNK_BIN, CHUNK_JSON, GLB_MAGIC } from '../../../src/services/models/glb.js';
import {
  MAX_JSON_DEPTH,
  MAX_NODE_DEPTH,
  findExternalResources,
  validateGlb,
} from '../../../src/services/models/validate.js';
import { boxGlb } from '../../helpers/glb.js';

async function refusal(bytes: Uint8Array): Promise<VitrineError> {
  const error = await validateGlb(bytes).then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(error instanceof VitrineError)) throw new Error('expected validateGlb() to refuse');
  return error;
}

/** One triangle, its buffer, view and accessor, for GLBs whose JSON the tests shape. */
const TRIANGLE = Buffer.from(new Float32Array([0, 0, 0, 1, 0, 0, 0, 1, 0]).buffer);
function triangleJson(nodes: object[]): Record<string, unknown> {
  return {
    asset: { version: '2.0' },
    scene: 0,
    scenes: [{ nodes: [0] }],
    nodes,
    meshes: [{ primitives: [{ attributes: { POSITION: 0 } }] }],
    buffers: [{ byteLength: TRIANGLE.length }],
    bufferViews: [{ buffer: 0, byteLength: TRIANGLE.length, target: 34962 }],
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
}

/** A GLB from JSON text as given, so the text can nest deeper than JSON.stringify recurses. */
function glbFromJsonText(text: string, bin: Buffer): Buffer {
  let json = Buffer.from(text, 'utf8');
  json = Buffer.concat([json, Buffer.alloc((4 - (json.length % 4)) % 4, 0x20)]);
  const header = Buffer.alloc(20);
  header.writeUInt32LE(GLB_MAGIC, 0);
  header.writeUInt32LE(2, 4);
  header.writeUInt32LE(20 + json.length + 8 + bin.length, 8);
  header.writeUInt32LE(json.length, 12);
  header.writeUInt32LE(CHUNK_JSON, 16);
  const binHeader = Buffer.alloc(8);
  binHeader.writeUInt32LE(bin.length, 0);
  binHeader.writeUInt32LE(CHUNK_BIN, 4);
  return Buffer.concat([header, json, binHeader, bin]);
}

/** A chain of `depth` nodes, each the only child of the one before, the last with the mesh. */
function chainOfNodes(depth: number, loop = false): object[] {
  const nodes: object[] = [];
  for (let i = 0; i < depth - 1; i += 1) nodes.push({ children: [i + 1] });
  nodes.push(loop ? { mesh: 0, children: [0] } : { mesh: 0 });
  return nodes;
}

function codes(error: VitrineError): string[] {
  return (error.details as { issues: { code: string }[] }).issues.map((i) => i.code);
}

describe('validateGlb()', () => {
  it('returns the JSON chunk of a valid GLB', async () => {
    const { json, notes } = await validateGlb(boxGlb());

    expect(json.meshes).toHaveLength(1);
    expect(notes.filter((n) => n.severity === 'error')).toEqual([]);
  });

  it('refuses text glTF, even after a byte order mark and whitespace', async () => {
    const text = Buffer.concat([
      Buffer.from([0xef, 0xbb, 0xbf]),
      Buffer.from(' \n{"asset":{"version":"2.0"}}'),
    ]);

    const error = await refusal(text);

    expect(error.code).toBe('invalid_model');
    expect(error.status).toBe(422);
    expect(codes(error)).toEqual(['NOT_GLB']);
  });

  it('refuses an empty file with the validator code for a missing header', async () => {
    expect(codes(await refusal(new Uint8Array()))).toEqual(['GLB_UNEXPECTED_END_OF_HEADER']);
  });

  it('refuses a GLB whose JSON breaks the glTF schema', async () => {
    const error = await refusal(
      buildGlb({ asset: { version: '2.0' }, meshes: [{ primitives: [] }] }),
    );

    expect(codes(error)).toContain('EMPTY_ENTITY');
  });

  it('refuses external buffers and images with a pointer each, and keeps the other findings', async () => {
    const error = await refusal(boxGlb({ bufferUri: 'https://example.invalid/box.bin' }));

    expect(codes(error)[0]).toBe('EXTERNAL_RESOURCE');
    expect(codes(error)).not.toContain('IO_ERROR');
    expect(error.message).toContain('/buffers/0/uri');
  });

  // The validator recurses through the node tree and the JSON; past a few thousand levels it
  // overflows its stack in a callback, which throws outside the promise and ends the process.
  it('refuses a node hierarchy deeper than MAX_NODE_DEPTH without handing it to the validator', async () => {
    const error = await refusal(buildGlb(triangleJson(chainOfNodes(20_000)), TRIANGLE));

    expect(error.code).toBe('invalid_model');
    expect(codes(error)).toEqual(['NODE_HIERARCHY_TOO_DEEP']);
    expect(error.message).toContain(String(MAX_NODE_DEPTH));
  });

  it('refuses a long loop of nodes reachable from the scene the same way', async () => {
    const error = await refusal(buildGlb(triangleJson(chainOfNodes(20_000, true)), TRIANGLE));

    expect(codes(error)).toEqual(['NODE_HIERARCHY_TOO_DEEP']);
  });

  it('accepts a node hierarchy exactly MAX_NODE_DEPTH deep', async () => {
    const { json } = await validateGlb(
      buildGlb(triangleJson(chainOfNodes(MAX_NODE_DEPTH)), TRIANGLE),
    );

    expect(json.nodes).toHaveLength(MAX_NODE_DEPTH);
  });

  it('refuses JSON nested deeper than MAX_JSON_DEPTH without handing it to the validator', async () => {
    const depth = 50_000;
    const text = JSON.stringify(triangleJson([{ mesh: 0 }])).replace(
      /}$/,
      `,"extras":{"deep":${'['.repeat(depth)}1${']'.repeat(depth)}}}`,
    );

    const error = await refusal(glbFromJsonText(text, TRIANGLE));

    expect(codes(error)).toEqual(['JSON_TOO_DEEP']);
    expect(error.message).toContain(String(MAX_JSON_DEPTH));
  });

  it('does not count brackets inside JSON strings as nesting', async () => {
    const text = JSON.stringify({
      ...triangleJson([{ mesh: 0 }]),
      extras: { note: '['.repeat(MAX_JSON_DEPTH * 2) + '\\"{' },
    });

    const { json } = await validateGlb(glbFromJsonText(text, TRIANGLE));

    expect(json.nodes).toHaveLength(1);
  });
});

describe('findExternalResources()', () => {
  it('accepts GLB-internal buffers, buffer views and data: URIs', () => {
    expect(
      findExternalResources({
        buffers: [
          { byteLength: 4 },
          { uri: 'data:application/octet-stream;base64,AAAA', byteLength: 3 },
        ],
        images: [{ bufferView: 0, mimeType: 'image/png' }, { uri: 'DATA:image/png;base64,AA==' }],
      }),
    ).toEqual([]);
  });

  it('flags relative paths, absolute URLs and file: URIs', () => {
    const issues = findExternalResources({
      buffers: [{ uri: 'model.bin' }, { uri: 'file:///etc/passwd' }],
      images: [{ uri: 'http://127.0.0.1/texture.png' }],
    });

    expect(issues.map((i) => i.pointer)).toEqual([
      '/buffers/0/uri',
      '/buffers/1/uri',
      '/images/0/uri',
    ]);
  });
});
