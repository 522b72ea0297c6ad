import fs from 'node:fs';
import { getBounds, NodeIO } from '@gltf-transform/core';
import { ALL_EXTENSIONS } from '@gltf-transform/extensions';
import { MeshoptDecoder, MeshoptEncoder } from 'meshoptimizer';
import { describe, expect, it } from 'vitest';
import {
  compressForPreview,
  countTriangles,
  PREVIEW_TRIANGLE_BUDGET,
  simplifyForPreview,
} from '../../../src/services/models/preview.js';
import { createTorusKnotDocument, toGlb } from '../../../src/services/models/procedural.js';
import { fixturePath, HAS_FIXTURES, SKIP_NOTE } from '../../helpers/fixtures.js';

async function io(): Promise<NodeIO> {
  await Promise.all([MeshoptDecoder.ready, MeshoptEncoder.ready]);
  return new NodeIO()
    .registerExtensions(ALL_EXTENSIONS)
    .registerDependencies({ 'meshopt.decoder': MeshoptDecoder, 'meshopt.encoder': MeshoptEncoder });
}

describe('simplifyForPreview() and compressForPreview()', () => {
  it('simplifies a dense model and writes a smaller GLB that reads back with meshopt', async () => {
    const dense = createTorusKnotDocument({ tubularSegments: 1024, radialSegments: 48 });
    const original = await toGlb(dense);
    const before = countTriangles(dense);
    const reader = await io();

    const document = await reader.readBinary(original);
    await simplifyForPreview(document);
    const simplified = countTriangles(document);
    await compressForPreview(document);
    const preview = await reader.writeBinary(document);
    const back = await reader.readBinary(preview);

    expect(before).toBe(1024 * 48 * 2);
    expect(simplified).toBeLessThan(before);
    expect(preview.byteLength).toBeLessThan(original.byteLength / 4);
    expect(
      back
        .getRoot()
        .listExtensionsUsed()
        .map((e) => e.extensionName),
    ).toContain('EXT_meshopt_compression');
    expect(countTriangles(back)).toBe(simplified);
  });

  it('brings a model over the triangle budget down to about the budget', async () => {
    const huge = createTorusKnotDocument({ tubularSegments: 2048, radialSegments: 64 });
    expect(countTriangles(huge)).toBeGreaterThan(PREVIEW_TRIANGLE_BUDGET);

    await simplifyForPreview(huge);

    expect(countTriangles(huge)).toBeLessThanOrEqual(PREVIEW_TRIANGLE_BUDGET * 1.05);
  });
});

describe.skipIf(!HAS_FIXTURES)(`simplifyForPreview() on quantized input${SKIP_NOTE}`, () => {
  it('keeps the shape of BoxMeshopt.glb, whose positions arrive as quantized integers', async () => {
    const reader = await io();
    const document = await reader.readBinary(
      fs.readFileSync(fixturePath('models', 'BoxMeshopt.glb')),
    );
    const size = (d: Awaited<ReturnType<NodeIO['readBinary']>>) => {
      const bounds = getBounds(d.getRoot().listScenes()[0]!);
      return [0, 1, 2].map((axis) => bounds.max[axis]! - bounds.min[axis]!);
    };
    const before = size(document);

    await simplifyForPreview(document);
    await compressForPreview(document);
    const after = size(await reader.readBinary(await reader.writeBinary(document)));

    expect(before.every((extent) => extent > 0.5)).toBe(true);
    after.forEach((extent, axis) => expect(extent).toBeCloseTo(before[axis]!, 2));
  });
});
