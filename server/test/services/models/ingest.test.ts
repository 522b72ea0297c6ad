import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ModelFacts } from '@vitrine/shared';
import { sha256Hex } from '../../../src/ids.js';
import { buildGlb } from '../../../src/services/models/glb.js';
import { deriveFiles } from '../../../src/services/models/ingest.js';
import { PREVIEW_DECODED_BYTES_FLOOR } from '../../../src/services/models/preview.js';
import { startTestServer, type TestServer } from '../../helpers/app.js';
import { boxGlb } from '../../helpers/glb.js';

function factsOf(glb: Buffer): ModelFacts {
  return {
    bytes: glb.length,
    sha256: sha256Hex(glb),
    format: 'glb',
    triangles: 0,
    vertices: 0,
    meshes: 1,
    materials: 0,
    textures: 0,
    animations: 0,
    extensionsUsed: [],
    extensionsRequired: [],
  };
}

/** Files under the public previews and posters folders, as `folder/name`. */
function publicFiles(server: TestServer): string[] {
  const { paths } = server.app.locals.context;
  return [paths.previews, paths.posters].flatMap((dir) =>
    fs.existsSync(dir) ? fs.readdirSync(dir).map((name) => `${dir}/${name}`) : [],
  );
}

describe('deriveFiles()', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(() => server.close());

  it('leaves no preview or poster behind when the model row is gone by the time they are made', async () => {
    // A product deleted while its upload's preview was being made: nothing may point at them,
    // and /files would serve them for good.
    const glb = boxGlb();
    const before = publicFiles(server);

    const derived = await deriveFiles(
      server.app.locals.context,
      'mdl_deletedmeanwhile',
      glb,
      factsOf(glb),
    );

    expect(derived.previewPath).toBeNull();
    expect(derived.posterPath).toBeNull();
    expect(publicFiles(server)).toEqual(before);
  });

  it('does not decode a model whose accessors declare more data than a preview may hold', async () => {
    // 260 bytes that declare a 50-million-vertex accessor without data (zeros by the spec):
    // decoding it would take gigabytes and block the server for minutes.
    const count = Math.ceil(PREVIEW_DECODED_BYTES_FLOOR / 12) + 1;
    const bomb = buildGlb({
      asset: { version: '2.0' },
      scene: 0,
      scenes: [{ nodes: [0] }],
      nodes: [{ mesh: 0 }],
      meshes: [{ primitives: [{ attributes: { POSITION: 0 } }] }],
      accessors: [{ componentType: 5126, count, type: 'VEC3', min: [0, 0, 0], max: [0, 0, 0] }],
    });
    const heapBefore = process.memoryUsage().arrayBuffers;
    const started = Date.now();

    const derived = await deriveFiles(server.app.locals.context, 'mdl_bomb', bomb, factsOf(bomb));

    expect(derived.previewPath).toBeNull();
    expect(derived.posterPath).toBeNull();
    expect(Date.now() - started).toBeLessThan(5000);
    expect(process.memoryUsage().arrayBuffers - heapBefore).toBeLessThan(64 * 1024 ** 2);
  });
});
