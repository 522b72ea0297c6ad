import { describe, expect, it } from 'vitest';
import { computeFacts } from '../../../src/services/models/facts.js';

const file = { bytes: 100, sha256: 'abc' };

describe('computeFacts()', () => {
  it('counts indexed, non-indexed, strip and fan triangles, and skips lines and points', () => {
    const facts = computeFacts(
      {
        accessors: [{ count: 24 }, { count: 36 }, { count: 9 }, { count: 6 }, { count: 10 }],
        meshes: [
          { primitives: [{ attributes: { POSITION: 0 }, indices: 1 }] },
          { primitives: [{ attributes: { POSITION: 2 } }] },
          {
            primitives: [
              { attributes: { POSITION: 3 }, mode: 5 },
              { attributes: { POSITION: 3 }, mode: 6 },
            ],
          },
          {
            primitives: [
              { attributes: { POSITION: 4 }, mode: 1 },
              { attributes: { POSITION: 4 }, mode: 0 },
            ],
          },
        ],
      },
      file,
    );

    expect(facts.triangles).toBe(12 + 3 + 4 + 4);
    // Each POSITION accessor counts once, however many primitives share it.
    expect(facts.vertices).toBe(24 + 9 + 6 + 10);
    expect(facts.meshes).toBe(4);
  });

  it('copes with a document that has no meshes, materials or extensions', () => {
    expect(computeFacts({ asset: { version: '2.0' } }, file)).toEqual({
      ...file,
      format: 'glb',
      triangles: 0,
      vertices: 0,
      meshes: 0,
      materials: 0,
      textures: 0,
      animations: 0,
      extensionsUsed: [],
      extensionsRequired: [],
    });
  });

  it('reports materials, textures, animations and extensions as declared', () => {
    const facts = computeFacts(
      {
        materials: [{}, {}],
        textures: [{}],
        animations: [{}, {}, {}],
        extensionsUsed: ['KHR_draco_mesh_compression', 'KHR_materials_unlit'],
        extensionsRequired: ['KHR_draco_mesh_compression'],
      },
      file,
    );

    expect(facts).toMatchObject({
      materials: 2,
      textures: 1,
      animations: 3,
      extensionsUsed: ['KHR_draco_mesh_compression', 'KHR_materials_unlit'],
      extensionsRequired: ['KHR_draco_mesh_compression'],
    });
  });
});
