import fs from 'node:fs';
import * as esbuild from 'esbuild';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ModelFacts, Product } from '@vitrine/shared';
import { REPO_ROOT } from '../../../src/config.js';
import {
  createGemDocument,
  createTorusKnotDocument,
  createVaseDocument,
  toGlb,
} from '../../../src/services/models/procedural.js';
import { startTestServer, type TestServer } from '../../helpers/app.js';
import { fixturePath, HAS_FIXTURES } from '../../helpers/fixtures.js';
import { boxGlb, texturedGlb } from '../../helpers/glb.js';

// The storefront's viewer loads previews with three.js' GLTFLoader and MeshoptDecoder. This
// loads real previews with exactly that, in Debian's Chromium, from the server's /files route.

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

const LOADER_SOURCE = `
import { GLTFLoader } from 'three/examples/jsm/loaders/GLTFLoader.js';
import { MeshoptDecoder } from 'three/examples/jsm/libs/meshopt_decoder.module.js';
window.loadPreview = async (url) => {
  const loader = new GLTFLoader();
  loader.setMeshoptDecoder(MeshoptDecoder);
  const gltf = await loader.loadAsync(url);
  let meshes = 0, triangles = 0, textured = 0;
  gltf.scene.traverse((object) => {
    if (!object.isMesh) return;
    meshes += 1;
    const geometry = object.geometry;
    triangles += (geometry.index ? geometry.index.count : geometry.attributes.position.count) / 3;
    const materials = Array.isArray(object.material) ? object.material : [object.material];
    if (materials.some((m) => m.map && m.map.image)) textured += 1;
  });
  return { meshes, triangles, textured, animations: gltf.animations.length };
};
`;

interface Loaded {
  meshes: number;
  triangles: number;
  textured: number;
  animations: number;
}

describe.skipIf(!fs.existsSync(CHROMIUM))(
  `preview copies in three.js (Chromium at ${CHROMIUM})`,
  () => {
    let server: TestServer;
    let browser: Browser;
    let page: Page;
    beforeAll(async () => {
      server = await startTestServer();
      const bundle = await esbuild.build({
        stdin: { contents: LOADER_SOURCE, resolveDir: REPO_ROOT, loader: 'js' },
        bundle: true,
        write: false,
        format: 'iife',
        platform: 'browser',
        logLevel: 'silent',
      });
      browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
      page = await browser.newPage();
      // Same origin as /files, like a storefront served by this server.
      await page.goto(`${server.url}/api/health`);
      await page.addScriptTag({ content: bundle.outputFiles[0]!.text });
    });
    afterAll(async () => {
      await browser?.close();
      await server?.close();
    });

    async function uploadAndLoad(
      bytes: Uint8Array,
    ): Promise<{ facts: ModelFacts; loaded: Loaded }> {
      const created = await server.request('/api/admin/products', {
        method: 'POST',
        admin: true,
        json: { name: 'Viewer', type: 'digital', price: { amount: 100, currency: 'usd' } },
      });
      const { id } = (await created.json()) as Product;
      const upload = await server.request(`/api/admin/products/${id}/model`, {
        method: 'PUT',
        admin: true,
        headers: { 'content-type': 'model/gltf-binary' },
        body: bytes,
      });
      const body = (await upload.json()) as { facts: ModelFacts; product: Product };
      expect(body.product.previewUrl).not.toBeNull();
      const loaded = await page.evaluate(
        (url) =>
          (globalThis as unknown as { loadPreview(u: string): Promise<Loaded> }).loadPreview(url),
        body.product.previewUrl!,
      );
      return { facts: body.facts, loaded };
    }

    it('loads the preview of a hand-written box', async () => {
      const { loaded } = await uploadAndLoad(boxGlb());

      expect(loaded).toMatchObject({ meshes: 1, triangles: 12 });
    });

    it('loads the previews of the generated demo models', async () => {
      for (const document of [
        createGemDocument(),
        createTorusKnotDocument(),
        createVaseDocument(),
      ]) {
        const { facts, loaded } = await uploadAndLoad(await toGlb(document));

        expect(loaded.meshes).toBeGreaterThan(0);
        expect(loaded.triangles).toBeGreaterThan(0);
        expect(loaded.triangles).toBeLessThanOrEqual(facts.triangles);
      }
    });

    it('loads a textured preview with its resized texture decoded', async () => {
      const { loaded } = await uploadAndLoad(await texturedGlb(2048));

      expect(loaded.textured).toBe(1);
    });

    it.skipIf(!HAS_FIXTURES)(
      'loads the previews of the skinned Fox and of the Draco box (fixtures)',
      async () => {
        const fox = await uploadAndLoad(fs.readFileSync(fixturePath('models', 'Fox.glb')));
        const draco = await uploadAndLoad(fs.readFileSync(fixturePath('models', 'Box_Draco.glb')));

        expect(fox.loaded).toMatchObject({ animations: 3, textured: 1 });
        expect(draco.loaded).toMatchObject({ meshes: 1, triangles: 12 });
      },
    );
  },
);
