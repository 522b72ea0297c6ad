import fs from 'node:fs';
import path from 'node:path';
import type { Product } from '@vitrine/shared';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../../server/src/config.js';
import { liveBuildDir } from '../../server/src/services/publish.js';
import { boxGlb } from '../../server/test/helpers/glb.js';
import {
  HAS_CHROMIUM,
  launchBrowser,
  listenForViewerEvents,
  newGuardedContext,
  waitForViewerEvent,
} from './helpers/browser.js';
import {
  createProduct,
  publishSite,
  startStore,
  uploadModel,
  type TestStore,
} from './helpers/store.js';

const SKIP = HAS_CHROMIUM ? '' : ' (skipped: no Chromium at CHROMIUM_PATH or /usr/bin/chromium)';
const VIEWER_CODE = /ProductViewer|ViewerCanvas|three|react-three/i;

function filesUnder(dir: string): string[] {
  return fs
    .readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => path.join(entry.parentPath, entry.name));
}

describe.skipIf(!HAS_CHROMIUM)(`the built storefront${SKIP}`, { timeout: 90_000 }, () => {
  let store: TestStore;
  let browser: Browser;
  let buildDir: string;
  let model: Product;
  let mug: Product;
  let hidden: Product;

  beforeAll(async () => {
    store = await startStore({ env: { STORE_NAME: 'Build Check Shop', STORE_CURRENCY: 'eur' } });
    const { server } = store;
    model = await createProduct(server, {
      name: 'Static Cube',
      description: 'First paragraph.\n\nSecond paragraph with <b>markup</b> that must stay text.',
      type: 'digital',
      price: { amount: 1999, currency: 'eur' },
      license: 'Personal use only.',
    });
    const upload = await uploadModel(server, model.id, boxGlb());
    expect(upload.status).toBe(200);
    model = (await (await server.request(`/api/products/${model.slug}`)).json()) as Product;
    mug = await createProduct(server, {
      name: 'Static Mug',
      description: 'A mug with the cube on it.',
      type: 'physical',
      price: { amount: 1200, currency: 'eur' },
      physical: { sku: 'MUG-1', weightGrams: 350, stock: 3 },
    });
    hidden = await createProduct(server, {
      name: 'Hidden Draft',
      type: 'digital',
      price: { amount: 100, currency: 'eur' },
      active: false,
    });
    await publishSite(server);
    buildDir = liveBuildDir(server.app.locals.context)!;
    browser = await launchBrowser();
  }, 300_000);

  afterAll(async () => {
    await browser?.close();
    await store?.close();
  });

  it('server-renders the viewer island as the poster, with no viewer script before it is visible', () => {
    const html = fs.readFileSync(path.join(buildDir, 'products', model.slug, 'index.html'), 'utf8');
    const islands = [...html.matchAll(/<astro-island\b[^>]*>/g)].map((m) => m[0]);
    const viewer = islands.find((tag) => tag.includes('ProductViewer'));

    expect(viewer, 'the product page has a viewer island').toBeDefined();
    expect(viewer).toContain('client="visible"');
    // The island's HTML was rendered at build time (so the component ran without `window`).
    expect(html).toContain('The 3D preview loads when it comes into view.');
    const scripts = [...html.matchAll(/<(?:script|link)\b[^>]*(?:src|href)="([^"]+)"/g)].map(
      (m) => m[1]!,
    );
    expect(scripts.filter((src) => VIEWER_CODE.test(src))).toEqual([]);
    expect(html).not.toContain('modulepreload');
    // The island is handed the public preview, never anything about the original file.
    expect(html).toContain(model.previewUrl!);
    expect(html).not.toContain('originals');
    expect(html).not.toContain(model.model!.sha256);
  });

  it('loads no viewer code until the preview is scrolled into view, and no request leaves the origin', async () => {
    const guard = await newGuardedContext(browser);
    const page = await guard.context.newPage();

    await page.goto(`${store.server.url}/products/${model.slug}/`);
    await page.locator('.add-to-cart[data-ready="true"]').waitFor();
    await listenForViewerEvents(page);
    const top = await page.locator('.viewer').evaluate((el) => el.getBoundingClientRect().top);
    expect(top).toBeGreaterThan(720);
    expect(guard.requests.filter((url) => VIEWER_CODE.test(url))).toEqual([]);
    expect(guard.requests.filter((url) => url.endsWith('.glb'))).toEqual([]);

    await page.locator('.viewer').scrollIntoViewIfNeeded();
    expect(await waitForViewerEvent(page)).toEqual({ type: 'ready' });

    expect(guard.requests.filter((url) => /ViewerCanvas/.test(url)).length).toBe(1);
    expect(guard.offOrigin).toEqual([]);
    expect(guard.stripeJs).toEqual([]);
    expect(guard.pageErrors).toEqual([]);
    await guard.close();
  });

  it('makes no request to another host on any page, and loads Stripe.js on none of them', async () => {
    const guard = await newGuardedContext(browser);
    const page = await guard.context.newPage();

    for (const pathname of [
      '/',
      `/products/${mug.slug}/`,
      '/cart/',
      '/checkout/',
      '/orders/?id=ord_unknown#key=k',
      '/no-such-page/',
    ]) {
      await page.goto(`${store.server.url}${pathname}`);
      await page.waitForLoadState('networkidle');
    }

    expect(guard.offOrigin).toEqual([]);
    expect(guard.stripeJs).toEqual([]);
    await guard.close();
  });

  it('offers to email the order links when the order page has no key', async () => {
    const guard = await newGuardedContext(browser);
    const page = await guard.context.newPage();

    await page.goto(`${store.server.url}/orders/?id=ord_not_in_this_browser`);
    await page
      .getByRole('alert')
      .filter({ hasText: 'does not hold the key for this order' })
      .waitFor();
    await page.getByLabel('Email the links to my orders').fill('forgot@example.test');
    await page.getByRole('button', { name: 'Send the links' }).click();

    await page.getByText('their links are on the way by email').waitFor();
    expect(guard.offOrigin).toEqual([]);
    await guard.close();
  });

  it('can be browsed without JavaScript', async () => {
    const guard = await newGuardedContext(browser, {
      contextOptions: { javaScriptEnabled: false },
    });
    const page = await guard.context.newPage();

    await page.goto(`${store.server.url}/`);
    const cards = page.locator('.product-card');
    expect(await cards.allTextContents()).toEqual([
      expect.stringContaining('Static Cube'),
      expect.stringContaining('Static Mug'),
    ]);
    expect(
      await page
        .locator('.product-card', { hasText: 'Static Cube' })
        .locator('.price')
        .textContent(),
    ).toBe('€19.99');
    if (model.posterUrl) {
      expect(await page.locator('.product-card img').first().getAttribute('alt')).toBe(
        'Picture of Static Cube',
      );
    }
    await page.getByRole('link', { name: /Static Cube/ }).click();
    await page.waitForURL(`${store.server.url}/products/${model.slug}/`);
    const facts = await page.locator('.product-facts').textContent();
    expect(facts).toContain('GLB (binary glTF 2.0)');
    expect(facts).toMatch(/Triangles\s*12/);
    expect(facts).toContain('Licence: Personal use only.');
    expect(await page.locator('.product-details').textContent()).toContain(
      'Second paragraph with <b>markup</b> that must stay text.',
    );
    await page.goto(`${store.server.url}/products/${mug.slug}/`);
    expect(await page.locator('.stock').textContent()).toBe('Only 3 left');
    expect(await page.locator('.viewer').count()).toBe(0);

    const missing = await page.goto(`${store.server.url}/products/${hidden.slug}/`);
    expect(missing?.status()).toBe(404);
    expect(await page.locator('h1').textContent()).toBe('Page not found');
    expect(guard.offOrigin).toEqual([]);
    await guard.close();
  });

  it('ships the decoders from three.js under /decoders/, and no server code', async () => {
    for (const file of [
      'draco/draco_decoder.wasm',
      'draco/draco_wasm_wrapper.js',
      'basis/basis_transcoder.wasm',
      'basis/basis_transcoder.js',
    ]) {
      const res = await store.server.request(`/decoders/${file}`);
      expect(res.status, file).toBe(200);
      await res.arrayBuffer();
    }
    const files = filesUnder(buildDir).map((file) => path.relative(buildDir, file));

    expect(files.filter((file) => /\.(mjs|map)$/.test(file))).toEqual([]);
  });

  it('holds no secret and no path of the server machine', () => {
    const { config } = store.server;
    const text = filesUnder(buildDir)
      .filter((file) => /\.(html|js|css|json|txt|xml)$/.test(file))
      .map((file) => fs.readFileSync(file, 'utf8'))
      .join('\n');

    for (const secret of [config.adminToken, config.downloadSecret])
      expect(text).not.toContain(secret);
    expect(text).not.toContain(store.server.dataDir);
    expect(text).not.toContain(path.join(REPO_ROOT, 'site'));
  });
});
