import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { closeApp, configureServer, createApp, type VitrineApp } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { ADMIN_TOKEN } from './helpers/app.js';
import { waitFor } from './helpers/grants.js';
import { boxGlb, texturedGlb } from './helpers/glb.js';

interface Running {
  app: VitrineApp;
  server: http.Server;
  port: number;
  dataDir: string;
}

const running: Running[] = [];
afterEach(async () => {
  for (const { app, server, dataDir } of running.splice(0)) {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await closeApp(app);
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
});

/**
 * The app on a server whose whole-request timeout is short and checked often: a stand-in for
 * Node's default (five minutes, checked every 30 s), which main.ts would otherwise run with.
 */
async function start(options?: { idleTimeoutMs: number }): Promise<Running> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'vitrine-app-'));
  const config = loadConfig({
    NODE_ENV: 'test',
    DATA_DIR: dataDir,
    ADMIN_TOKEN,
    SITE_BUILD: 'off',
  });
  const app = createApp(config, { background: false });
  const server = http.createServer({ requestTimeout: 800, connectionsCheckingInterval: 50 }, app);
  configureServer(server, options);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const entry = { app, server, port: (server.address() as AddressInfo).port, dataDir };
  running.push(entry);
  return entry;
}

async function createProduct(port: number): Promise<string> {
  const res = await fetch(`http://127.0.0.1:${port}/api/admin/products`, {
    method: 'POST',
    headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'Slow Upload', type: 'digital', price: { amount: 500 } }),
  });
  return ((await res.json()) as { id: string }).id;
}

/** Starts a model upload by hand, so the test decides when each part of the body goes out. */
function openUpload(port: number, productId: string, bytes: number): http.ClientRequest {
  return http.request({
    host: '127.0.0.1',
    port,
    method: 'PUT',
    path: `/api/admin/products/${productId}/model`,
    headers: {
      authorization: `Bearer ${ADMIN_TOKEN}`,
      'content-type': 'model/gltf-binary',
      'content-length': bytes,
    },
  });
}

describe('configureServer()', () => {
  it('lets an upload that keeps sending run longer than the whole-request timeout', async () => {
    const { port } = await start();
    const productId = await createProduct(port);
    const glb = boxGlb();
    const upload = openUpload(port, productId, glb.length);
    const answer = new Promise<number>((resolve, reject) => {
      upload.on('response', (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      upload.on('error', reject);
    });

    // About 2 s of sending, steadily, where the request timeout is 0.8 s.
    const step = Math.ceil(glb.length / 20);
    for (let offset = 0; offset < glb.length; offset += step) {
      upload.write(glb.subarray(offset, offset + step));
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    upload.end();

    expect(await answer).toBe(200);
  });

  it('still answers an upload whose processing takes longer than the idle timeout', async () => {
    // Validation, preview and poster run after the last byte arrived; the client waits quietly.
    const { port } = await start({ idleTimeoutMs: 100 });
    const productId = await createProduct(port);
    const glb = Buffer.from(await texturedGlb(2048));
    const started = Date.now();

    const res = await fetch(`http://127.0.0.1:${port}/api/admin/products/${productId}/model`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'model/gltf-binary' },
      body: glb,
    });

    expect(res.status).toBe(200);
    expect(Date.now() - started).toBeGreaterThan(100);
  });

  it('drops an upload that stops sending for the idle timeout and keeps no part of it', async () => {
    const { app, port } = await start({ idleTimeoutMs: 300 });
    const productId = await createProduct(port);
    const glb = boxGlb();
    const upload = openUpload(port, productId, glb.length);
    let closed = false;
    upload.on('error', () => undefined);
    upload.on('close', () => {
      closed = true;
    });

    upload.write(glb.subarray(0, 100));

    await waitFor(() => closed, 5000);
    const tmp = app.locals.context.paths.tmp;
    await waitFor(() => !fs.existsSync(tmp) || fs.readdirSync(tmp).length === 0, 5000);
  });
});
