import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
// @ts-expect-error: the build script is plain JavaScript without declarations.
import { build } from '../../scripts/build.mjs';
import { serveRenderer } from '../helpers/test-bridge.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const HAS_CHROMIUM = fs.existsSync(CHROMIUM);

/**
 * What the owner sees when a view breaks: here main answers a product list in a shape the
 * renderer does not expect (as an older or newer server might). The bridge is a stand-in that
 * answers only what this case needs; the journey test covers the real service.
 */
describe.skipIf(!HAS_CHROMIUM)(
  `the renderer's error boundary${HAS_CHROMIUM ? '' : ` (skipped: no Chromium at ${CHROMIUM})`}`,
  () => {
    let work: string;
    let site: { url: string; close(): Promise<void> };
    let browser: Browser;
    let page: Page;

    beforeAll(async () => {
      work = fs.mkdtempSync(path.join(os.tmpdir(), 'vitrine-boundary-'));
      const outDir: string = await build({ outDir: work, targets: ['renderer'] });
      site = await serveRenderer(path.join(outDir, 'renderer'));
      browser = await chromium.launch({ executablePath: CHROMIUM, headless: true });
      page = await browser.newPage();
      await page.addInitScript(() => {
        const ok = (value: unknown) => Promise.resolve({ ok: true, value });
        const settings = {
          serverUrl: 'http://127.0.0.1:1',
          configured: true,
          tokenStorage: 'encrypted',
          storageNote: null,
        };
        Object.defineProperty(window, 'vitrine', {
          value: {
            settingsGet: () => ok(settings),
            serverStatus: () =>
              ok({ reachable: true, serverUrl: settings.serverUrl, checkedAt: '' }),
            // A product without a price: the list cannot render it.
            productsList: () => ok([{ id: 'prd_1', name: 'Odd', type: 'digital', active: true }]),
            ordersList: () => ok([]),
            publishStatus: () =>
              ok({
                state: 'idle',
                startedAt: null,
                finishedAt: null,
                durationMs: null,
                lastError: null,
                lastSuccessAt: null,
              }),
            onUploadProgress: () => () => {},
          },
        });
      });
      page.on('console', () => {
        // React logs the caught error; the assertions below look at the screen instead.
      });
      await page.goto(site.url);
    });

    afterAll(async () => {
      await browser?.close();
      await site?.close();
      if (work) fs.rmSync(work, { recursive: true, force: true });
    });

    it('shows what failed instead of a blank window, and keeps the other sections usable', async () => {
      await page.getByRole('alert').getByText('Showing the products failed.').waitFor();
      await page.getByRole('button', { name: 'Show the view again' }).click();
      await page.getByRole('alert').getByText('Showing the products failed.').waitFor();

      await page.getByRole('button', { name: 'Orders' }).click();
      await page.getByText('No orders match.').waitFor();
      await expect(page.getByText('Showing the products failed.').count()).resolves.toBe(0);
    });
  },
);
