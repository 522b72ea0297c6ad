import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { _electron as electron } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
// @ts-expect-error: the build script is plain JavaScript without declarations.
import { build } from '../../scripts/build.mjs';
import { ADMIN_TOKEN, startTestServer, type TestServer } from '../helpers/server.js';

const APP_DIR = path.resolve(import.meta.dirname, '../..');

/**
 * The Electron binary that `npm install` would have downloaded, found without `require('electron')`,
 * which tries to download it when it is missing.
 */
function electronBinary(): string | null {
  const root = path.dirname(createRequire(import.meta.url).resolve('electron/package.json'));
  const pathFile = path.join(root, 'path.txt');
  if (!fs.existsSync(pathFile)) return null;
  const binary = path.join(root, 'dist', fs.readFileSync(pathFile, 'utf8').trim());
  return fs.existsSync(binary) ? binary : null;
}

const BINARY = electronBinary();
const NO_DISPLAY =
  process.platform === 'linux' && !process.env.DISPLAY && !process.env.WAYLAND_DISPLAY;
const SKIP_REASON = !BINARY
  ? ' (skipped: no Electron binary in node_modules/electron/dist; it could not be downloaded here)'
  : NO_DISPLAY
    ? ' (skipped: Electron needs a display; run under xvfb-run)'
    : '';

describe.skipIf(SKIP_REASON !== '')(`the app in Electron${SKIP_REASON}`, () => {
  let server: TestServer;
  let userData: string;
  beforeAll(async () => {
    await build();
    server = await startTestServer();
    userData = fs.mkdtempSync(path.join(os.tmpdir(), 'vitrine-electron-'));
  });
  afterAll(async () => {
    await server?.close();
    if (userData) fs.rmSync(userData, { recursive: true, force: true });
  });

  it('opens the sandboxed window, connects on first run and lists products', async () => {
    const app = await electron.launch({
      executablePath: BINARY!,
      args: [APP_DIR, `--user-data-dir=${userData}`],
    });
    try {
      const page = await app.firstWindow();
      await page.getByRole('heading', { name: 'Connect to your Vitrine server' }).waitFor();
      expect(page.url()).toBe('app://vitrine/index.html');
      // No Node in the page, only the bridge's functions.
      expect(await page.evaluate(() => typeof (globalThis as { require?: unknown }).require)).toBe(
        'undefined',
      );
      expect(await page.evaluate(() => typeof (globalThis as { process?: unknown }).process)).toBe(
        'undefined',
      );
      expect(
        await page.evaluate(() =>
          Object.values((window as unknown as { vitrine: object }).vitrine).every(
            (v) => typeof v === 'function',
          ),
        ),
      ).toBe(true);

      await page.getByLabel('Server address').fill(server.url);
      await page.getByLabel('Admin token').fill(ADMIN_TOKEN);
      await page.getByRole('button', { name: 'Connect' }).click();
      await page.getByRole('button', { name: 'New product' }).waitFor();
      const settings = fs.readFileSync(path.join(userData, 'settings.json'), 'utf8');
      expect(settings).not.toContain(ADMIN_TOKEN);
    } finally {
      await app.close();
    }
  });
});
