import fs from 'node:fs';
import path from 'node:path';
import { NodeIO } from '@gltf-transform/core';
import { ALL_EXTENSIONS } from '@gltf-transform/extensions';
import type { Product } from '@vitrine/shared';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  FIXTURES_DIR,
  HAS_FIXTURES,
  SKIP_NOTE,
  fixturePath,
} from '../../server/test/helpers/fixtures.js';
import {
  HAS_CHROMIUM,
  launchBrowser,
  listenForViewerEvents,
  newGuardedContext,
  waitForViewerEvent,
} from './helpers/browser.js';
import { countForeground } from './helpers/pixels.js';
import { createProduct, publishSite, startStore, type TestStore } from './helpers/store.js';

const SKIP = `${SKIP_NOTE}${HAS_CHROMIUM ? '' : ' (skipped: no Chromium)'}`;
const MODELS_DIR = path.join(FIXTURES_DIR, 'models');
/** Formats every storefront must take: plain, textured, Draco and meshopt GLBs. */
const MUST_ACCEPT = ['Box.glb', 'BoxTextured.glb', 'Duck.glb', 'Box_Draco.glb', 'BoxMeshopt.glb'];

interface Upload {
  file: string;
  status: number;
  product: Product;
  error?: string;
}

/** Reads the JSON chunk of a GLB: the extensions a preview needs the browser to decode. */
function glbExtensions(bytes: Buffer): string[] {
  const length = bytes.readUInt32LE(12);
  const json = JSON.parse(bytes.subarray(20, 20 + length).toString('utf8')) as {
    extensionsUsed?: string[];
  };
  return json.extensionsUsed ?? [];
}

function slugFor(file: string): string {
  return `model-${file
    .replace(/\.[^.]+$/, '')
    .replace(/[^a-zA-Z0-9]+/g, '-')
    .toLowerCase()}`;
}

describe.skipIf(!HAS_FIXTURES || !HAS_CHROMIUM)(
  `every fixture model the server accepts renders in the preview${SKIP}`,
  { timeout: 90_000 },
  () => {
    let store: TestStore;
    let browser: Browser;
    const uploads: Upload[] = [];
    let dracoProduct: Product;
    let ktx2Product: Product;

    beforeAll(async () => {
      store = await startStore();
      const { server } = store;
      const files = fs
        .readdirSync(MODELS_DIR)
        .filter((name) => /\.(glb|gltf)$/.test(name))
        .sort();
      for (const file of files) {
        const product = await createProduct(server, {
          name: `Model ${file}`,
          slug: slugFor(file),
          type: 'digital',
          price: { amount: 500, currency: 'usd' },
        });
        const res = await server.request(`/api/admin/products/${product.id}/model`, {
          method: 'PUT',
          admin: true,
          headers: { 'content-type': 'model/gltf-binary' },
          body: new Uint8Array(fs.readFileSync(path.join(MODELS_DIR, file))),
        });
        const body = (await res.json().catch(() => null)) as { error?: { message: string } } | null;
        uploads.push({ file, status: res.status, product, error: body?.error?.message });
      }

      // Previews made by this server are meshopt-compressed (it decodes Draco itself), so the
      // browser's Draco decoder and Basis transcoder are proven with previews placed by hand:
      // the Draco original, and the KTX2 text glTF converted to a GLB.
      dracoProduct = await createProduct(server, {
        name: 'Draco preview',
        slug: 'draco-preview',
        type: 'digital',
        price: { amount: 500, currency: 'usd' },
      });
      ktx2Product = await createProduct(server, {
        name: 'KTX2 preview',
        slug: 'ktx2-preview',
        type: 'digital',
        price: { amount: 500, currency: 'usd' },
      });
      const io = new NodeIO().registerExtensions(ALL_EXTENSIONS);
      const ktx2Glb = Buffer.from(
        await io.writeBinary(
          await io.read(fixturePath('models', 'TextureVariants-Embedded-KTX.gltf')),
        ),
      );
      for (const [product, bytes] of [
        [dracoProduct, fs.readFileSync(fixturePath('models', 'Box_Draco.glb'))],
        [ktx2Product, ktx2Glb],
      ] as const) {
        // Any GLB the server takes gives the product a model and a preview path; then the
        // preview file itself is replaced.
        const res = await server.request(`/api/admin/products/${product.id}/model`, {
          method: 'PUT',
          admin: true,
          headers: { 'content-type': 'model/gltf-binary' },
          body: new Uint8Array(fs.readFileSync(fixturePath('models', 'Box.glb'))),
        });
        expect(res.status).toBe(200);
        const publicProduct = (await (
          await server.request(`/api/products/${product.slug}`)
        ).json()) as Product;
        const previewFile = path.join(
          server.app.locals.context.paths.public,
          new URL(publicProduct.previewUrl!).pathname.replace(/^\/files\//, ''),
        );
        expect(fs.existsSync(previewFile)).toBe(true);
        fs.writeFileSync(previewFile, bytes);
      }

      await publishSite(server);
      browser = await launchBrowser();
    }, 300_000);

    afterAll(async () => {
      await browser?.close();
      await store?.close();
    });

    it('accepts the plain, textured, Draco and meshopt GLBs, and refuses the text glTF files', () => {
      const accepted = uploads.filter((u) => u.status === 200).map((u) => u.file);
      const refused = uploads.filter((u) => u.status !== 200);

      for (const file of MUST_ACCEPT) expect(accepted, file).toContain(file);
      // The KTX2 fixture is a .gltf (JSON): the upload takes binary GLB only.
      for (const upload of refused) {
        expect(upload.file, `${upload.file}: ${upload.status} ${upload.error}`).toMatch(/\.gltf$/);
        expect(upload.status).toBeGreaterThanOrEqual(400);
        expect(upload.status).toBeLessThan(500);
      }
      console.info(
        `models: ${accepted.length} accepted (${accepted.join(', ')}); refused: ${refused.map((u) => `${u.file} (${u.status})`).join(', ') || 'none'}`,
      );
    });

    it(
      'renders each accepted model from its meshopt preview, from our origin only',
      { timeout: 240_000 },
      async () => {
        const accepted = uploads.filter((u) => u.status === 200);
        const failures: string[] = [];

        for (const upload of accepted) {
          const guard = await newGuardedContext(browser);
          const page = await guard.context.newPage();
          await page.goto(`${store.server.url}/products/${upload.product.slug}/`);
          await listenForViewerEvents(page);
          await page.locator('.viewer').scrollIntoViewIfNeeded();
          const event = await waitForViewerEvent(page);
          const background = (await page.locator('.viewer').getAttribute('data-background'))!;
          const pixels = await countForeground(page.locator('.viewer-stage'), background);
          const glbRequests = guard.requests.filter((r) => r.endsWith('.glb'));
          if (event.type !== 'ready') failures.push(`${upload.file}: ${JSON.stringify(event)}`);
          else if (pixels.ratio < 0.005)
            failures.push(`${upload.file}: only ${pixels.foreground} drawn pixels`);
          if (glbRequests.length !== 1 || !glbRequests[0]!.includes('/files/previews/')) {
            failures.push(
              `${upload.file}: fetched ${JSON.stringify(glbRequests)} instead of its preview`,
            );
          }
          expect(guard.offOrigin, upload.file).toEqual([]);
          expect(guard.pageErrors, upload.file).toEqual([]);
          await guard.close();
        }

        expect(failures).toEqual([]);
      },
    );

    it('decodes a Draco preview with the decoder served from our own origin', async () => {
      const guard = await newGuardedContext(browser);
      const page = await guard.context.newPage();

      await page.goto(`${store.server.url}/products/${dracoProduct.slug}/`);
      await listenForViewerEvents(page);
      await page.locator('.viewer').scrollIntoViewIfNeeded();
      const event = await waitForViewerEvent(page);

      expect(event).toEqual({ type: 'ready' });
      const preview = await fetch(new URL(guard.requests.find((r) => r.endsWith('.glb'))!));
      expect(glbExtensions(Buffer.from(await preview.arrayBuffer()))).toContain(
        'KHR_draco_mesh_compression',
      );
      const decoders = guard.requests.filter((r) => /draco_(decoder|wasm_wrapper)/.test(r));
      expect(decoders.length).toBeGreaterThan(0);
      for (const url of decoders)
        expect(url.startsWith(`${store.server.url}/decoders/draco/`), url).toBe(true);
      const pixels = await countForeground(
        page.locator('.viewer-stage'),
        (await page.locator('.viewer').getAttribute('data-background'))!,
      );
      expect(pixels.ratio).toBeGreaterThan(0.005);
      expect(guard.offOrigin).toEqual([]);
      await guard.close();
    });

    it('transcodes KTX2 (Basis Universal) textures with the transcoder served from our own origin', async () => {
      const guard = await newGuardedContext(browser);
      const page = await guard.context.newPage();

      await page.goto(`${store.server.url}/products/${ktx2Product.slug}/`);
      await listenForViewerEvents(page);
      await page.locator('.viewer').scrollIntoViewIfNeeded();
      const event = await waitForViewerEvent(page);

      expect(event).toEqual({ type: 'ready' });
      const transcoder = guard.requests.filter((r) => r.includes('basis_transcoder'));
      expect(transcoder.map((url) => new URL(url).pathname).sort()).toEqual([
        '/decoders/basis/basis_transcoder.js',
        '/decoders/basis/basis_transcoder.wasm',
      ]);
      const pixels = await countForeground(
        page.locator('.viewer-stage'),
        (await page.locator('.viewer').getAttribute('data-background'))!,
      );
      expect(pixels.ratio).toBeGreaterThan(0.005);
      expect(guard.offOrigin).toEqual([]);
      expect(guard.pageErrors).toEqual([]);
      await guard.close();
    });
  },
);
