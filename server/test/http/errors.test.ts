import zlib from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../helpers/app.js';

describe('errorHandler()', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(() => server.close());

  const product = JSON.stringify({ name: 'Gzip', type: 'digital', price: { amount: 100 } });

  async function errorOf(response: Response): Promise<{ status: number; code: string }> {
    const body = (await response.json()) as { error: { code: string } };
    return { status: response.status, code: body.error.code };
  }

  it('answers 400 invalid_request, not 500, for a body that claims gzip but does not inflate', async () => {
    const response = await server.request('/api/admin/products', {
      method: 'POST',
      admin: true,
      headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' },
      body: product,
    });

    expect(await errorOf(response)).toEqual({ status: 400, code: 'invalid_request' });
  });

  it('still reads a body that really is gzip', async () => {
    const response = await server.request('/api/admin/products', {
      method: 'POST',
      admin: true,
      headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' },
      body: zlib.gzipSync(product),
    });

    expect(response.status).toBe(201);
  });

  it('answers 415 unsupported_media_type for an unknown content encoding or charset', async () => {
    const encoding = await server.request('/api/checkout', {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'content-encoding': 'compress' },
      body: '{}',
    });
    const charset = await server.request('/api/admin/products', {
      method: 'POST',
      admin: true,
      headers: { 'content-type': 'application/json; charset=latin-99' },
      body: product,
    });

    expect(await errorOf(encoding)).toEqual({ status: 415, code: 'unsupported_media_type' });
    expect(await errorOf(charset)).toEqual({ status: 415, code: 'unsupported_media_type' });
  });

  it('answers 400 invalid_request for a path parameter with a broken percent-encoding', async () => {
    const response = await server.request('/api/products/%E0%A4%A');

    expect(await errorOf(response)).toEqual({ status: 400, code: 'invalid_request' });
  });
});
