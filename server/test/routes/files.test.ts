import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Product } from '@vitrine/shared';
import { startTestServer, type TestServer } from '../helpers/app.js';
import { boxGlb } from '../helpers/glb.js';

/** A GET with the path sent exactly as written: fetch() would normalise the dot segments. */
function rawGet(url: string, rawPath: string): Promise<{ status: number; body: string }> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const req = http.request({ hostname, port, path: rawPath, method: 'GET' }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('GET /files/*', () => {
  let server: TestServer;
  let product: Product;
  let sha256: string;
  beforeAll(async () => {
    server = await startTestServer();
    const created = await server.request('/api/admin/products', {
      method: 'POST',
      admin: true,
      json: { name: 'Served', type: 'digital', price: { amount: 100, currency: 'usd' } },
    });
    const { id } = (await created.json()) as Product;
    const upload = await server.request(`/api/admin/products/${id}/model`, {
      method: 'PUT',
      admin: true,
      headers: { 'content-type': 'model/gltf-binary' },
      body: boxGlb(),
    });
    const body = (await upload.json()) as { product: Product; facts: { sha256: string } };
    product = body.product;
    sha256 = body.facts.sha256;
  });
  afterAll(() => server.close());

  it('serves previews as model/gltf-binary with immutable caching and open CORS', async () => {
    const res = await fetch(product.previewUrl!);

    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('model/gltf-binary');
    expect(res.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
  });

  it('serves posters as image/png', async () => {
    const res = await fetch(product.posterUrl!);

    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('image/png');
  });

  it('lists no directories and answers unknown files with the JSON 404', async () => {
    const folder = await server.request('/files/previews/');
    const root = await server.request('/files/');
    const missing = await server.request('/files/previews/nope.glb');

    expect(folder.status).toBe(404);
    expect(root.status).toBe(404);
    expect(missing.status).toBe(404);
    expect(((await missing.json()) as { error: { code: string } }).error.code).toBe('not_found');
  });

  it.each([
    (hash: string) => `/files/../originals/${hash}.glb`,
    (hash: string) => `/files/previews/../../originals/${hash}.glb`,
    (hash: string) => `/files/%2e%2e/originals/${hash}.glb`,
    (hash: string) => `/files/%2E%2E%2Foriginals%2F${hash}.glb`,
    (hash: string) => `/files/previews/..%2f..%2foriginals%2f${hash}.glb`,
    (hash: string) => `/files/..%5coriginals%5c${hash}.glb`,
    (hash: string) => `/files/%252e%252e/originals/${hash}.glb`,
    (hash: string) => `/files/previews/%00/../../originals/${hash}.glb`,
  ])('never reaches the private originals (%#)', async (spell) => {
    expect(
      fs.existsSync(path.join(server.app.locals.context.paths.originals, `${sha256}.glb`)),
    ).toBe(true);

    const res = await rawGet(server.url, spell(sha256));

    expect(res.status).toBe(404);
    expect(res.body).not.toContain('glTF');
  });

  it('refuses methods other than GET and HEAD', async () => {
    const res = await fetch(product.previewUrl!, { method: 'DELETE' });

    expect(res.status).toBe(404);
    expect((await fetch(product.previewUrl!)).status).toBe(200);
  });
});
