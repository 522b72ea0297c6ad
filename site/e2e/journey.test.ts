import fs from 'node:fs';
import path from 'node:path';
import type { Product } from '@vitrine/shared';
import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { boxGlb } from '../../server/test/helpers/glb.js';
import { activateBuild, readLiveBuild } from '../../server/src/services/publish.js';
import { startTestServer } from '../../server/test/helpers/app.js';
import {
  HAS_CHROMIUM,
  launchBrowser,
  listenForViewerEvents,
  newGuardedContext,
  waitForViewerEvent,
  type GuardedContext,
} from './helpers/browser.js';
import { countForeground, screenshotDifference } from './helpers/pixels.js';
import {
  createProduct,
  publishSite,
  startStore,
  uploadModel,
  type TestStore,
} from './helpers/store.js';

const SKIP = HAS_CHROMIUM ? '' : ' (skipped: no Chromium at CHROMIUM_PATH or /usr/bin/chromium)';

/** Opens a product page and brings its 3D preview into view; resolves with the viewer event. */
async function showPreview(page: Page, url: string): Promise<{ type: string; reason?: string }> {
  await page.goto(url);
  await listenForViewerEvents(page);
  await page.locator('.viewer').scrollIntoViewIfNeeded();
  return waitForViewerEvent(page);
}

// Browser steps on a shared two-core machine: generous per-test limits, never fixed waits.
describe.skipIf(!HAS_CHROMIUM)(
  `the shopper's journey in Chromium${SKIP}`,
  { timeout: 90_000 },
  () => {
    let store: TestStore;
    let browser: Browser;
    let guard: GuardedContext;
    let digital: Product;
    let physical: Product;
    const model = boxGlb();

    beforeAll(async () => {
      store = await startStore({
        payments: true,
        env: { SHIPPING_COUNTRIES: 'US,DE', SHIPPING_FLAT_AMOUNT: '700' },
      });
      const { server } = store;
      digital = await createProduct(server, {
        name: 'Journey Cube',
        description:
          'A blue cube, the smallest model this shop sells.\n\nIt renders in the preview.',
        type: 'digital',
        price: { amount: 1250, currency: 'usd' },
      });
      const upload = await uploadModel(server, digital.id, model);
      expect(upload.status, JSON.stringify(upload.body)).toBe(200);
      digital = (await (await server.request(`/api/products/${digital.slug}`)).json()) as Product;
      expect(digital.previewUrl).toMatch(/\/files\/previews\/.+\.glb$/);
      physical = await createProduct(server, {
        name: 'Journey Print',
        description: 'A printed poster of the cube.',
        type: 'physical',
        price: { amount: 900, currency: 'usd' },
        physical: { sku: 'PRINT-1', weightGrams: 200, stock: 10 },
      });
      await publishSite(server);
      browser = await launchBrowser();
    }, 300_000);

    afterAll(async () => {
      await browser?.close();
      await store?.close();
    });

    afterEach(async () => {
      const { offOrigin, pageErrors } = guard;
      await guard.close();
      expect(offOrigin, 'requests to hosts other than loopback').toEqual([]);
      expect(
        pageErrors.filter((e) => !e.includes('Failed to load resource')),
        'page errors',
      ).toEqual([]);
    });

    it('browses, previews the model, pays and downloads the exact file that was uploaded', async () => {
      guard = await newGuardedContext(browser, { stripeApiBase: store.stripe!.url });
      const page = await guard.context.newPage();
      const { url } = store.server;

      await page.goto(`${url}/`);
      const card = page.locator('.product-card', { hasText: 'Journey Cube' });
      await expect.poll(() => card.count(), { timeout: 15_000 }).toBe(1);
      expect(await card.locator('.price').textContent()).toBe('$12.50');
      await card.locator('a').click();
      await page.waitForURL(`${url}/products/${digital.slug}/`);
      expect(await page.locator('h1').textContent()).toBe('Journey Cube');

      // The preview sits below the fold: nothing of the viewer has loaded yet.
      const viewerTop = await page
        .locator('.viewer')
        .evaluate((el) => el.getBoundingClientRect().top);
      expect(viewerTop).toBeGreaterThan(720);
      expect(guard.requests.filter((r) => /ViewerCanvas|ProductViewer/.test(r))).toEqual([]);

      await listenForViewerEvents(page);
      await page.locator('.viewer').scrollIntoViewIfNeeded();
      const event = await waitForViewerEvent(page);
      expect(event).toEqual({ type: 'ready' });
      expect(await page.locator('.viewer').getAttribute('data-state')).toBe('ready');
      const background = (await page.locator('.viewer').getAttribute('data-background'))!;
      const pixels = await countForeground(page.locator('.viewer-stage'), background);
      expect(pixels.ratio, JSON.stringify(pixels)).toBeGreaterThan(0.01);
      // Only the public preview copy was fetched, never the original.
      const modelRequests = guard.requests.filter(
        (r) => /\.glb(\?|$)/.test(r) || r.includes('/api/downloads/'),
      );
      expect(modelRequests).toEqual([digital.previewUrl]);

      await page.locator('.add-to-cart[data-ready="true"]').waitFor();
      await page.getByRole('button', { name: 'Add to cart' }).click();
      await page.getByText('Added to your cart.').waitFor();
      expect(await page.locator('.cart-link').getAttribute('data-count')).toBe('1');

      await page.getByRole('link', { name: /View cart/ }).click();
      await page.waitForURL(`${url}/cart/`);
      await page.locator('.cart-line', { hasText: 'Journey Cube' }).waitFor();
      await page.getByRole('link', { name: 'Go to checkout' }).click();
      await page.waitForURL(`${url}/checkout/`);

      await page
        .getByLabel('Email for the receipt and download links')
        .fill('shopper@example.test');
      await page.getByRole('button', { name: 'Continue to payment' }).click();
      await page.locator('.payment-form[data-ready="true"]').waitFor();
      expect(await page.getByTestId('server-total').textContent()).toBe('$12.50');
      expect(guard.stripeJs).toHaveLength(1);
      await page.getByLabel('Card number').fill('4242 4242 4242 4242');
      await page.getByRole('button', { name: 'Pay $12.50' }).click();

      await page.waitForURL(
        (target) =>
          target.pathname === '/orders/' &&
          target.searchParams.get('redirect_status') === 'succeeded',
      );
      await page.locator('.order[data-status="fulfilled"]').waitFor({ timeout: 30_000 });
      // The client secret Stripe appended to the address is gone from it.
      expect(new URL(page.url()).search).toMatch(/^\?id=ord_[\w-]+$/);
      const link = page.getByRole('link', { name: 'Download Journey Cube' });
      await link.waitFor();
      expect(await page.locator('.download').textContent()).toMatch(
        /5 downloads left · link valid until/,
      );
      // The cart that was paid for is empty now.
      await expect
        .poll(() => page.locator('.cart-link').getAttribute('data-count'), { timeout: 15_000 })
        .toBe('0');

      const href = (await link.getAttribute('href'))!;
      const download = await fetch(new URL(href, url));
      expect(download.status).toBe(200);
      const bytes = Buffer.from(await download.arrayBuffer());
      expect(bytes.equals(model)).toBe(true);
    });

    it('turns, zooms and resets the preview from the keyboard', async () => {
      guard = await newGuardedContext(browser);
      const page = await guard.context.newPage();

      const event = await showPreview(page, `${store.server.url}/products/${digital.slug}/`);
      expect(event.type).toBe('ready');
      expect(await page.locator('.viewer canvas').getAttribute('data-lighting')).toBe('basic');
      const stage = page.locator('.viewer-stage');
      const initial = await stage.screenshot();

      await page.getByRole('button', { name: 'Rotate left' }).focus();
      await page.keyboard.press('Enter');
      await page.keyboard.press('Enter');
      await expect
        .poll(async () => screenshotDifference(initial, await stage.screenshot()), {
          timeout: 15_000,
        })
        .toBeGreaterThan(0.005);
      await page.getByRole('button', { name: 'Zoom in' }).focus();
      await page.keyboard.press('Space');

      await page.getByRole('button', { name: 'Reset view' }).focus();
      await page.keyboard.press('Enter');
      await expect
        .poll(async () => screenshotDifference(initial, await stage.screenshot()), {
          timeout: 15_000,
        })
        .toBeLessThan(0.001);
    });

    it(
      'lights the model with the studio environment map when that is chosen',
      { timeout: 120_000 },
      async () => {
        // Software WebGL gets the plain light rig by default (see chooseLighting); the override
        // runs the environment-map path a GPU would take, slowly, on SwiftShader.
        guard = await newGuardedContext(browser);
        await guard.context.addInitScript(() => {
          // Init scripts also run in about:blank, which has no storage.
          if (location.protocol.startsWith('http'))
            localStorage.setItem('vitrine:viewer-lighting', 'studio');
        });
        const page = await guard.context.newPage();

        const event = await showPreview(page, `${store.server.url}/products/${digital.slug}/`);

        expect(event).toEqual({ type: 'ready' });
        expect(await page.locator('.viewer canvas').getAttribute('data-lighting')).toBe('studio');
        const background = (await page.locator('.viewer').getAttribute('data-background'))!;
        const pixels = await countForeground(page.locator('.viewer-stage'), background);
        expect(pixels.ratio, JSON.stringify(pixels)).toBeGreaterThan(0.01);
      },
    );

    it(
      'falls back to the poster when the WebGL context is lost, and can try again',
      { timeout: 60_000 },
      async () => {
        guard = await newGuardedContext(browser);
        const page = await guard.context.newPage();
        const event = await showPreview(page, `${store.server.url}/products/${digital.slug}/`);
        expect(event.type).toBe('ready');

        await page.evaluate(() => {
          (window as unknown as { __viewerEvents: unknown[] }).__viewerEvents.length = 0;
          const canvas = document.querySelector('.viewer canvas') as HTMLCanvasElement;
          const gl = (canvas.getContext('webgl2') ??
            canvas.getContext('webgl')) as WebGLRenderingContext;
          gl.getExtension('WEBGL_lose_context')!.loseContext();
        });
        const lost = await waitForViewerEvent(page);

        expect(lost).toEqual({ type: 'error', reason: 'lost' });
        expect(await page.locator('.viewer').getAttribute('data-state')).toBe('lost');
        expect(await page.locator('.viewer canvas').count()).toBe(0);
        if (digital.posterUrl) expect(await page.locator('.viewer-poster').isVisible()).toBe(true);
        expect(
          await page.getByRole('status').filter({ hasText: 'stopped the 3D preview' }).count(),
        ).toBe(1);

        await page.evaluate(() => {
          (window as unknown as { __viewerEvents: unknown[] }).__viewerEvents.length = 0;
        });
        await page.getByRole('button', { name: 'Try the 3D preview again' }).click();
        expect(await waitForViewerEvent(page)).toEqual({ type: 'ready' });
      },
    );

    it('shows the card issuer’s message when a card is declined, and takes a second card', async () => {
      guard = await newGuardedContext(browser, { stripeApiBase: store.stripe!.url });
      const page = await guard.context.newPage();
      const { url } = store.server;
      await page.goto(`${url}/products/${digital.slug}/`);
      await page.locator('.add-to-cart[data-ready="true"]').waitFor();
      await page.getByRole('button', { name: 'Add to cart' }).click();
      await page.goto(`${url}/checkout/`);

      await page
        .getByLabel('Email for the receipt and download links')
        .fill('declined@example.test');
      await page.getByRole('button', { name: 'Continue to payment' }).click();
      await page.locator('.payment-form[data-ready="true"]').waitFor();
      await page.getByLabel('Card number').fill('4000 0000 0000 0002');
      await page.getByRole('button', { name: 'Pay $12.50' }).click();

      await page.getByRole('alert').filter({ hasText: 'Your card was declined.' }).waitFor();
      expect(page.url()).toBe(`${url}/checkout/`);

      await page.getByLabel('Card number').fill('4242 4242 4242 4242');
      await page.getByRole('button', { name: 'Pay $12.50' }).click();
      await page.waitForURL((target) => target.pathname === '/orders/');
      await page.locator('.order[data-status="fulfilled"]').waitFor({ timeout: 30_000 });
    });

    it('asks for a shipping address for physical goods and charges the server’s total with shipping', async () => {
      guard = await newGuardedContext(browser, { stripeApiBase: store.stripe!.url });
      const page = await guard.context.newPage();
      const { url } = store.server;
      await page.goto(`${url}/products/${physical.slug}/`);
      await page.locator('.add-to-cart[data-ready="true"]').waitFor();
      await page.getByLabel('Quantity').fill('2');
      await page.getByRole('button', { name: 'Add to cart' }).click();
      await page.goto(`${url}/products/${digital.slug}/`);
      await page.locator('.add-to-cart[data-ready="true"]').waitFor();
      await page.getByRole('button', { name: 'Add to cart' }).click();
      await page.goto(`${url}/checkout/`);

      await page.getByLabel('Email for the receipt and download links').fill('post@example.test');
      await page.getByLabel('Full name').fill('Ada Shopper');
      await page.getByLabel('Address line 1').fill('1 Loop Street');
      await page.getByLabel('City').fill('Springfield');
      await page.getByLabel('Postal code').fill('12345');
      await page.getByLabel('Country').selectOption('DE');
      await page.getByRole('button', { name: 'Continue to payment' }).click();
      await page.locator('.payment-form[data-ready="true"]').waitFor();

      // 2 × $9.00 + $12.50 + $7.00 flat shipping, priced by the server.
      expect(await page.getByTestId('server-total').textContent()).toBe('$37.50');
      await page.getByLabel('Card number').fill('4242 4242 4242 4242');
      await page.getByRole('button', { name: 'Pay $37.50' }).click();
      await page.waitForURL((target) => target.pathname === '/orders/');
      await page.locator('.order[data-status="fulfilled"]').waitFor({ timeout: 30_000 });
      await page.getByRole('link', { name: 'Download Journey Cube' }).waitFor();
      expect(await page.locator('.shipment').getAttribute('data-shipment-status')).toBe('pending');
    });

    it('drops the open payment when the cart changes in another tab, and asks for the new total', async () => {
      guard = await newGuardedContext(browser, { stripeApiBase: store.stripe!.url });
      const page = await guard.context.newPage();
      const { server } = store;
      await page.goto(`${server.url}/products/${digital.slug}/`);
      await page.locator('.add-to-cart[data-ready="true"]').waitFor();
      await page.getByRole('button', { name: 'Add to cart' }).click();
      await page.goto(`${server.url}/checkout/`);
      await page
        .getByLabel('Email for the receipt and download links')
        .fill('changes@example.test');
      await page.getByRole('button', { name: 'Continue to payment' }).click();
      await page.locator('.payment-form[data-ready="true"]').waitFor();
      const firstOrder = (await page.locator('.checkout').getAttribute('data-order-id'))!;

      const other = await guard.context.newPage();
      await other.goto(`${server.url}/products/${physical.slug}/`);
      await other.locator('.add-to-cart[data-ready="true"]').waitFor();
      await other.getByRole('button', { name: 'Add to cart' }).click();
      await other.close();

      await page
        .getByRole('status')
        .filter({ hasText: 'Your cart changed, so the payment was reset.' })
        .waitFor();
      expect(await page.locator('.payment-form').count()).toBe(0);
      await page.getByLabel('Full name').fill('Ada Shopper');
      await page.getByLabel('Address line 1').fill('1 Loop Street');
      await page.getByLabel('City').fill('Springfield');
      await page.getByLabel('Postal code').fill('12345');
      await page.getByLabel('Country').selectOption('US');
      await page.getByRole('button', { name: 'Continue to payment' }).click();
      await page.locator('.payment-form[data-ready="true"]').waitFor();

      expect(await page.getByTestId('server-total').textContent()).toBe('$28.50');
      expect(await page.getByRole('button', { name: 'Pay $28.50' }).count()).toBe(1);
      const secondOrder = await page.locator('.checkout').getAttribute('data-order-id');
      expect(secondOrder).not.toBe(firstOrder);
      const checkoutCalls = store.stripe!.requestsTo('POST', '/v1/payment_intents');
      expect(new Set(checkoutCalls.map((call) => call.params.amount))).toContain('2850');
      const old = await server.request(`/api/admin/orders/${firstOrder}`, { admin: true });
      expect(((await old.json()) as { status: string }).status).toBe('canceled');
    });

    it('says so when Stripe.js cannot be loaded, instead of a form that never works', async () => {
      guard = await newGuardedContext(browser, { stripeJs: 'unreachable' });
      const page = await guard.context.newPage();
      const { url } = store.server;
      await page.goto(`${url}/products/${digital.slug}/`);
      await page.locator('.add-to-cart[data-ready="true"]').waitFor();
      await page.getByRole('button', { name: 'Add to cart' }).click();
      await page.goto(`${url}/checkout/`);
      await page
        .getByLabel('Email for the receipt and download links')
        .fill('blocked@example.test');
      await page.getByRole('button', { name: 'Continue to payment' }).click();

      await page
        .getByRole('alert')
        .filter({ hasText: 'payment form could not be loaded' })
        .waitFor();
      expect(guard.stripeJs.length).toBeGreaterThan(0);
      // Chromium logs the aborted script; that is the point of this test.
      guard.pageErrors.length = 0;
    });

    it('explains that Stripe test keys are needed when the server has none', async () => {
      // A second server without Stripe keys serves a copy of the same build, as after the owner
      // removed the keys: the page comes from the build, the refusal from the live API.
      const plain = await startTestServer({ STORE_NAME: 'Vitrine Test Shop' });
      const live = readLiveBuild(store.server.app.locals.context)!;
      const target = path.join(plain.dataDir, 'site');
      fs.cpSync(
        path.join(store.server.dataDir, 'site', 'builds', live.buildId),
        path.join(target, 'builds', live.buildId),
        {
          recursive: true,
        },
      );
      activateBuild(target, live);
      const copy = await createProduct(plain, {
        name: 'Journey Cube',
        type: 'digital',
        price: { amount: 1250, currency: 'usd' },
      });
      guard = await newGuardedContext(browser);
      const page = await guard.context.newPage();

      await page.goto(`${plain.url}/cart/`);
      await page.evaluate(
        ([id, slug]) =>
          localStorage.setItem(
            'vitrine:cart:v1',
            JSON.stringify([
              {
                productId: id,
                slug,
                name: 'Journey Cube',
                type: 'digital',
                unitPrice: { amount: 1250, currency: 'usd' },
                quantity: 1,
                posterUrl: null,
                stock: null,
              },
            ]),
          ),
        [copy.id, copy.slug],
      );
      await page.goto(`${plain.url}/checkout/`);
      await page.getByRole('note').filter({ hasText: 'Stripe test keys' }).waitFor();
      await page.getByLabel('Email for the receipt and download links').fill('nokeys@example.test');

      const note = page
        .getByRole('note')
        .filter({ hasText: 'STRIPE_SECRET_KEY and STRIPE_PUBLISHABLE_KEY' });
      await note.waitFor();
      expect(await note.textContent()).toContain('restart the server');
      expect(await page.getByRole('button', { name: 'Continue to payment' }).isDisabled()).toBe(
        true,
      );
      expect(guard.stripeJs).toEqual([]);
      await plain.close();
    });
  },
);
