import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { activateBuild } from '../../src/services/publish.js';
import { startTestServer, type TestServer } from '../helpers/app.js';

/** Writes a build folder by hand, as `astro build` would lay it out. */
function writeBuild(server: TestServer, buildId: string, title: string): void {
  const root = path.join(server.dataDir, 'site', 'builds', buildId);
  const files: Record<string, string> = {
    'index.html': `<!doctype html><title>${title}</title><h1>${title}</h1>`,
    'products/lamp/index.html': `<h1>${title}: Lamp</h1>`,
    '404.html': '<h1>Page not found</h1>',
    '_astro/island.Ab12Cd.js': 'export default 1;',
    'decoders/draco/draco_decoder.wasm': '\0asm',
  };
  for (const [name, content] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(root, name)), { recursive: true });
    fs.writeFileSync(path.join(root, name), content);
  }
}

describe('the storefront at /', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ STORE_NAME: 'Site <Route> Shop' });
  });
  afterAll(() => server.close());

  it('answers 503 with an explanation until a build is live, escaping the store name', async () => {
    const res = await server.request('/');
    const html = await res.text();

    expect(res.status).toBe(503);
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(res.headers.get('retry-after')).toBe('60');
    expect(html).toContain('Site &#60;Route&#62; Shop');
    expect(html).toContain('has not been published yet');
  });

  it('serves the live build with clean URLs once one is activated', async () => {
    writeBuild(server, '001', 'First build');
    activateBuild(path.join(server.dataDir, 'site'), {
      buildId: '001',
      activatedAt: 'now',
      fingerprint: 'f',
    });

    const home = await server.request('/');
    const product = await server.request('/products/lamp/');

    expect(home.status).toBe(200);
    expect(home.headers.get('content-type')).toContain('text/html');
    expect(home.headers.get('cache-control')).toBe('no-cache');
    expect(home.headers.get('x-content-type-options')).toBe('nosniff');
    expect(await home.text()).toContain('First build');
    expect(product.status).toBe(200);
    expect(await product.text()).toContain('First build: Lamp');
  });

  it('redirects a product URL without its trailing slash', async () => {
    const res = await server.request('/products/lamp', { redirect: 'manual' });

    expect(res.status).toBe(301);
    expect(res.headers.get('location')).toBe('/products/lamp/');
  });

  it('caches hashed assets for a year and decoders for a day', async () => {
    const asset = await server.request('/_astro/island.Ab12Cd.js');
    const decoder = await server.request('/decoders/draco/draco_decoder.wasm');

    expect(asset.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect(decoder.headers.get('cache-control')).toBe('public, max-age=86400');
    expect(decoder.headers.get('content-type')).toBe('application/wasm');
  });

  it('answers unknown pages with the build 404 page and status 404', async () => {
    const res = await server.request('/products/no-such-thing/');

    expect(res.status).toBe(404);
    expect(res.headers.get('content-type')).toContain('text/html');
    expect(await res.text()).toContain('Page not found');
  });

  it('answers HEAD like GET without a body', async () => {
    const res = await server.request('/products/lamp/', { method: 'HEAD' });

    expect(res.status).toBe(200);
    expect(await res.text()).toBe('');
  });

  it('leaves the API and its JSON errors alone', async () => {
    const api = await server.request('/api/nothing-here');
    const post = await server.request('/', { method: 'POST' });

    expect(api.status).toBe(404);
    expect(((await api.json()) as { error: { code: string } }).error.code).toBe('not_found');
    expect(post.status).toBe(404);
    expect(((await post.json()) as { error: { code: string } }).error.code).toBe('not_found');
  });

  it('never serves files from outside the build', async () => {
    for (const attempt of [
      '/..%2f..%2fsecrets.json',
      '/%2e%2e/%2e%2e/secrets.json',
      '/../publish.json',
      '/..%5c..%5csecrets.json',
    ]) {
      const res = await server.request(attempt);
      const body = await res.text();

      expect(res.status, attempt).toBeGreaterThanOrEqual(400);
      expect(body, attempt).not.toContain('adminToken');
      expect(body, attempt).not.toContain('downloadSecret');
    }
  });

  it('switches to a newly activated build without a restart', async () => {
    writeBuild(server, '002', 'Second build');
    activateBuild(path.join(server.dataDir, 'site'), {
      buildId: '002',
      activatedAt: 'later',
      fingerprint: 'g',
    });

    const res = await server.request('/');

    expect(await res.text()).toContain('Second build');
  });

  it('falls back to the placeholder when the live build folder has gone', async () => {
    fs.rmSync(path.join(server.dataDir, 'site', 'builds', '002'), { recursive: true, force: true });

    const res = await server.request('/');

    expect(res.status).toBe(503);
  });
});
