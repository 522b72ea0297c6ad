import { describe, expect, it } from 'vitest';
import { VitrineError } from '@vitrine/shared';
import { buildGlb } from '../../../src/services/models/glb.js';
import { findExternalResources, validateGlb } from '../../../src/services/models/validate.js';
import { boxGlb } from '../../helpers/glb.js';

async function refusal(bytes: Uint8Array): Promise<VitrineError> {
  const error = await validateGlb(bytes).then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(error instanceof VitrineError)) throw new Error('expected validateGlb() to refuse');
  return error;
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
