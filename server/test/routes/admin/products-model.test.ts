import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { NodeIO } from '@gltf-transform/core';
import { ALL_EXTENSIONS } from '@gltf-transform/extensions';
import { MeshoptDecoder } from 'meshoptimizer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ErrorBody, ModelFacts, Product } from '@vitrine/shared';
import { ADMIN_TOKEN, startTestServer, type TestServer } from '../../helpers/app.js';
import { boxGlb, jsonChunk, paddedGlbStream, texturedGlb } from '../../helpers/glb.js';

// PUT /api/admin/products/:id/model, with GLBs the test builds itself. The Khronos fixtures
// run in products-model-fixtures.test.ts, which skips without them.

interface UploadBody {
  modelId: string;
  facts: ModelFacts;
  product: Product;
  issues: { code: string; severity: string }[];
}

interface IssueBody extends ErrorBody {
  error: ErrorBody['error'] & {
    details: {
      issues: { code: string; message: string; severity: string; pointer: string | null }[];
    };
  };
}

const sha256 = (bytes: Uint8Array) => crypto.createHash('sha256').update(bytes).digest('hex');

async function until(condition: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

function listFiles(dir: string): string[] {
  return fs.existsSync(dir) ? fs.readdirSync(dir) : [];
}

async function readBack(bytes: Uint8Array) {
  await MeshoptDecoder.ready;
  const io = new NodeIO()
    .registerExtensions(ALL_EXTENSIONS)
    .registerDependencies({ 'meshopt.decoder': MeshoptDecoder });
  return io.readBinary(bytes);
}

describe('PUT /api/admin/products/:id/model', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(() => server.close());

  async function createProduct(body: object = {}): Promise<Product> {
    const res = await server.request('/api/admin/products', {
      method: 'POST',
      admin: true,
      json: {
        name: 'Model Product',
        type: 'digital',
        price: { amount: 500, currency: 'usd' },
        ...body,
      },
    });
    expect(res.status).toBe(201);
    return (await res.json()) as Product;
  }

  function upload(
    id: string,
    body: RequestInit['body'],
    contentType = 'model/gltf-binary',
    query = '',
  ): Promise<Response> {
    return server.request(`/api/admin/products/${id}/model${query}`, {
      method: 'PUT',
      admin: true,
      headers: { 'content-type': contentType },
      body,
    });
  }

  it('stores a valid GLB and answers 200 with its facts, a preview URL and a poster URL', async () => {
    const product = await createProduct();
    const glb = boxGlb();

    const res = await upload(product.id, glb);
    const body = (await res.json()) as UploadBody;

    expect(res.status).toBe(200);
    expect(body.facts).toMatchObject({
      bytes: glb.length,
      sha256: sha256(glb),
      format: 'glb',
      triangles: 12,
      vertices: 24,
      meshes: 1,
      materials: 1,
      textures: 0,
      animations: 0,
      extensionsUsed: [],
      extensionsRequired: [],
    });
    expect(body.facts.previewBytes).toBeGreaterThan(0);
    expect(body.product.model).toEqual(body.facts);
    expect(body.product.previewUrl).toBe(`${server.url}/files/previews/${body.modelId}.glb`);
    expect(body.product.posterUrl).toMatch(
      new RegExp(`^${server.url}/files/posters/[0-9a-f]{64}\\.png$`),
    );

    const stored = path.join(server.app.locals.context.paths.originals, `${sha256(glb)}.glb`);
    expect(fs.readFileSync(stored).equals(glb)).toBe(true);
  });

  it('serves a preview that differs from the original and still parses as glTF with meshopt compression', async () => {
    const product = await createProduct();
    const glb = boxGlb();
    const body = (await (await upload(product.id, glb)).json()) as UploadBody;

    const res = await fetch(body.product.previewUrl!);
    const preview = new Uint8Array(await res.arrayBuffer());
    const document = await readBack(preview);

    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('model/gltf-binary');
    expect(sha256(preview)).not.toBe(sha256(glb));
    expect(preview.length).toBe(body.facts.previewBytes);
    expect(jsonChunk(preview).extensionsUsed as string[]).toContain('EXT_meshopt_compression');
    expect(document.getRoot().listMeshes()).toHaveLength(1);
  });

  it('shows the model, preview and poster on the public product once uploaded', async () => {
    const product = await createProduct({ name: 'Public Model' });
    const body = (await (await upload(product.id, boxGlb())).json()) as UploadBody;

    const res = await server.request(`/api/products/${product.slug}`);
    const shown = (await res.json()) as Product;

    expect(shown.model).toEqual(body.facts);
    expect(shown.previewUrl).toBe(body.product.previewUrl);
    expect(shown.posterUrl).toBe(body.product.posterUrl);
  });

  it('accepts application/octet-stream and keeps the file name sent for downloads', async () => {
    const product = await createProduct();

    const res = await upload(
      product.id,
      boxGlb(),
      'application/octet-stream',
      '?filename=..%2F..%2Fmy%20box',
    );
    const body = (await res.json()) as UploadBody;
    const row = server.app.locals.context.db
      .prepare('SELECT original_filename, original_path FROM models WHERE id = ?')
      .get(body.modelId);

    expect(res.status).toBe(200);
    expect(row).toEqual({
      original_filename: 'my box.glb',
      original_path: `${body.facts.sha256}.glb`,
    });
  });

  it('stores the same bytes once for two products (content-addressed originals)', async () => {
    const first = await createProduct();
    const second = await createProduct();
    const glb = boxGlb();
    const before = listFiles(server.app.locals.context.paths.originals).length;

    const a = (await (await upload(first.id, glb)).json()) as UploadBody;
    const b = (await (await upload(second.id, glb)).json()) as UploadBody;

    expect(a.facts.sha256).toBe(b.facts.sha256);
    expect(a.modelId).not.toBe(b.modelId);
    expect(listFiles(server.app.locals.context.paths.originals).length).toBeLessThanOrEqual(
      before + 1,
    );
    expect(listFiles(server.app.locals.context.paths.originals)).toContain(`${a.facts.sha256}.glb`);
  });

  it('replaces the model of a product and removes the old preview when no order refers to it', async () => {
    const product = await createProduct();
    const first = (await (await upload(product.id, boxGlb())).json()) as UploadBody;
    const textured = await texturedGlb(64);

    const second = (await (await upload(product.id, textured)).json()) as UploadBody;
    const oldPreview = await fetch(first.product.previewUrl!);
    const rows = server.app.locals.context.db
      .prepare('SELECT id FROM models WHERE product_id = ?')
      .all(product.id);

    expect(second.product.model?.sha256).toBe(sha256(textured));
    expect(second.product.previewUrl).not.toBe(first.product.previewUrl);
    expect(oldPreview.status).toBe(404);
    expect(rows).toEqual([{ id: second.modelId }]);
  });

  it('reduces textures larger than 1024 pixels in the preview', async () => {
    const product = await createProduct();
    const glb = await texturedGlb(2048);

    const body = (await (await upload(product.id, glb)).json()) as UploadBody;
    const preview = await readBack(
      new Uint8Array(await (await fetch(body.product.previewUrl!)).arrayBuffer()),
    );
    const size = preview.getRoot().listTextures()[0]!.getSize();

    expect(body.facts.textures).toBe(1);
    expect(size).toEqual([1024, 1024]);
  });

  it('refuses a text .gltf with 422 and says to export a .glb', async () => {
    const product = await createProduct();
    const gltf = JSON.stringify({
      asset: { version: '2.0' },
      buffers: [{ uri: 'box.bin', byteLength: 10 }],
    });

    const res = await upload(product.id, `\n  ${gltf}`);
    const body = (await res.json()) as IssueBody;

    expect(res.status).toBe(422);
    expect(body.error.code).toBe('invalid_model');
    expect(body.error.message).toContain('.glb');
    expect(body.error.details.issues.map((i) => i.code)).toEqual(['NOT_GLB']);
  });

  it('refuses a GLB whose buffer or image points at an external file, naming the pointer', async () => {
    const product = await createProduct();

    const buffer = await upload(product.id, boxGlb({ bufferUri: 'box.bin' }));
    const image = await upload(product.id, boxGlb({ imageUri: '../../secrets.json' }));
    const bufferBody = (await buffer.json()) as IssueBody;
    const imageBody = (await image.json()) as IssueBody;

    expect(buffer.status).toBe(422);
    expect(bufferBody.error.details.issues).toContainEqual(
      expect.objectContaining({
        code: 'EXTERNAL_RESOURCE',
        pointer: '/buffers/0/uri',
        severity: 'error',
      }),
    );
    expect(image.status).toBe(422);
    expect(imageBody.error.details.issues).toContainEqual(
      expect.objectContaining({ code: 'EXTERNAL_RESOURCE', pointer: '/images/0/uri' }),
    );
    expect(listFiles(server.app.locals.context.paths.tmp)).toEqual([]);
  });

  it('accepts a data: URI image inside the GLB, which is self-contained', async () => {
    const product = await createProduct();
    const png =
      'data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==';

    const res = await upload(product.id, boxGlb({ imageUri: png }));

    expect(res.status).toBe(200);
  });

  it("refuses a GLB the Khronos validator finds errors in, with the validator's codes", async () => {
    const product = await createProduct();
    const glb = boxGlb();
    glb.writeUInt32LE(glb.length + 4, 8); // header length no longer matches the file

    const res = await upload(product.id, glb);
    const body = (await res.json()) as IssueBody;

    expect(res.status).toBe(422);
    expect(body.error.details.issues.map((i) => i.code)).toContain('GLB_LENGTH_MISMATCH');
    expect(body.error.message).toContain('GLB_LENGTH_MISMATCH');
  });

  it('answers 415 for another content type and for text glTF, before reading the body', async () => {
    const product = await createProduct();

    const json = await upload(product.id, boxGlb(), 'application/json');
    const gltf = await upload(product.id, '{}', 'model/gltf+json');

    expect(json.status).toBe(415);
    expect(((await json.json()) as ErrorBody).error.code).toBe('unsupported_media_type');
    expect(gltf.status).toBe(415);
    expect(((await gltf.json()) as ErrorBody).error.message).toContain('.glb');
  });

  it('answers 409 for a physical product and 404 for an unknown one', async () => {
    const product = await createProduct({
      type: 'physical',
      physical: { sku: 'NO-MODEL', weightGrams: 1, stock: 1 },
    });

    const physical = await upload(product.id, boxGlb());
    const unknown = await upload('prd_unknown', boxGlb());

    expect(physical.status).toBe(409);
    expect(unknown.status).toBe(404);
  });

  it('leaves no temporary file and no row when the client aborts mid-stream', async () => {
    const product = await createProduct();
    const { tmp, originals } = server.app.locals.context.paths;
    const originalsBefore = listFiles(originals);
    const glb = boxGlb();
    const total = 4 * 1024 * 1024;

    const req = http.request(`${server.url}/api/admin/products/${product.id}/model`, {
      method: 'PUT',
      headers: {
        authorization: `Bearer ${ADMIN_TOKEN}`,
        'content-type': 'model/gltf-binary',
        'content-length': String(total),
      },
    });
    req.on('error', () => undefined);
    req.write(glb);
    req.write(Buffer.alloc(256 * 1024));
    await until(() => listFiles(tmp).length > 0, 'the upload reaches a temporary file');
    req.destroy();
    await until(() => listFiles(tmp).length === 0, 'the temporary file is removed');

    const row = server.app.locals.context.db
      .prepare('SELECT COUNT(*) AS n FROM models WHERE product_id = ?')
      .get(product.id);
    const shown = (await (
      await server.request(`/api/admin/products/${product.id}`, { admin: true })
    ).json()) as Product;
    expect(row).toEqual({ n: 0 });
    expect(shown.model).toBeUndefined();
    expect(listFiles(originals)).toEqual(originalsBefore);
  });

  it('streams a 200 MB GLB to disk with bounded memory and stores it', async () => {
    const product = await createProduct();
    const { tmp } = server.app.locals.context.paths;
    const { stream, bytes } = paddedGlbStream(200 * 1024 * 1024);
    const used = () => {
      const memory = process.memoryUsage();
      return memory.heapUsed + memory.arrayBuffers;
    };
    const baseline = used();
    // Memory is sampled only while the body is still arriving: validation afterwards reads
    // the whole file on purpose (see validate.ts).
    let peak = baseline;
    let samples = 0;
    const sampler = setInterval(() => {
      const part = listFiles(tmp).find((name) => name.endsWith('.part'));
      if (!part) return;
      try {
        if (fs.statSync(path.join(tmp, part)).size >= bytes) return;
      } catch {
        return;
      }
      samples += 1;
      peak = Math.max(peak, used());
    }, 5);

    const res = await new Promise<{ status: number; body: UploadBody }>((resolve, reject) => {
      const req = http.request(
        `${server.url}/api/admin/products/${product.id}/model`,
        {
          method: 'PUT',
          headers: {
            authorization: `Bearer ${ADMIN_TOKEN}`,
            'content-type': 'model/gltf-binary',
            'content-length': String(bytes),
          },
        },
        (response) => {
          let text = '';
          response.setEncoding('utf8');
          response.on('data', (chunk: string) => (text += chunk));
          response.on('end', () =>
            resolve({ status: response.statusCode ?? 0, body: JSON.parse(text) as UploadBody }),
          );
        },
      );
      req.on('error', reject);
      stream.pipe(req);
    });
    clearInterval(sampler);

    expect(res.status).toBe(200);
    expect(res.body.facts.bytes).toBe(bytes);
    expect(res.body.facts.triangles).toBe(1);
    // The padding is unreferenced, so the preview is tiny.
    expect(res.body.facts.previewBytes).toBeLessThan(10_000);
    expect(
      fs.statSync(
        path.join(server.app.locals.context.paths.originals, `${res.body.facts.sha256}.glb`),
      ).size,
    ).toBe(bytes);
    expect(samples).toBeGreaterThan(10);
    expect(peak - baseline).toBeLessThan(64 * 1024 * 1024);
  }, 120_000);
});

describe('PUT /api/admin/products/:id/model with a small MAX_UPLOAD_BYTES', () => {
  const limit = 64 * 1024;
  let server: TestServer;
  let productId: string;
  beforeAll(async () => {
    server = await startTestServer({ MAX_UPLOAD_BYTES: String(limit) });
    const res = await server.request('/api/admin/products', {
      method: 'POST',
      admin: true,
      json: { name: 'Limited', type: 'digital', price: { amount: 100, currency: 'usd' } },
    });
    productId = ((await res.json()) as Product).id;
  });
  afterAll(() => server.close());

  function assertNothingKept(): void {
    const { tmp, originals } = server.app.locals.context.paths;
    expect(listFiles(tmp)).toEqual([]);
    expect(listFiles(originals)).toEqual([]);
    expect(server.app.locals.context.db.prepare('SELECT COUNT(*) AS n FROM models').get()).toEqual({
      n: 0,
    });
  }

  /** Sends `chunks` with node:http, chunked when `contentLength` is undefined, and reads the answer. */
  function send(
    chunks: Buffer[],
    contentLength?: number,
  ): Promise<{ status: number; text: string; connection?: string }> {
    return new Promise((resolve, reject) => {
      const headers: Record<string, string> = {
        authorization: `Bearer ${ADMIN_TOKEN}`,
        'content-type': 'model/gltf-binary',
      };
      if (contentLength !== undefined) headers['content-length'] = String(contentLength);
      const req = http.request(
        `${server.url}/api/admin/products/${productId}/model`,
        { method: 'PUT', headers },
        (response) => {
          let text = '';
          response.setEncoding('utf8');
          response.on('data', (chunk: string) => (text += chunk));
          response.on('end', () =>
            resolve({
              status: response.statusCode ?? 0,
              text,
              connection: response.headers.connection,
            }),
          );
        },
      );
      req.on('error', reject);
      const write = (index: number) => {
        if (index === chunks.length) {
          req.end();
          return;
        }
        if (req.write(chunks[index]!)) write(index + 1);
        else req.once('drain', () => write(index + 1));
      };
      write(0);
    });
  }

  it('answers 413 at once when Content-Length is over the limit, and keeps nothing', async () => {
    const res = await server.request(`/api/admin/products/${productId}/model`, {
      method: 'PUT',
      admin: true,
      headers: { 'content-type': 'model/gltf-binary' },
      body: Buffer.alloc(limit + 1),
    });

    expect(res.status).toBe(413);
    expect(((await res.json()) as ErrorBody).error.code).toBe('payload_too_large');
    assertNothingKept();
  });

  it('answers 413 when a chunked body passes the limit mid-stream, and keeps nothing', async () => {
    const chunk = Buffer.alloc(16 * 1024);

    const res = await send(Array.from({ length: 8 }, () => chunk));

    expect(res.status).toBe(413);
    expect(res.connection).toBe('close');
    expect((JSON.parse(res.text) as ErrorBody).error.code).toBe('payload_too_large');
    await until(
      () => listFiles(server.app.locals.context.paths.tmp).length === 0,
      'the partial file is removed',
    );
    assertNothingKept();
  });

  it('accepts a file of exactly the limit size as far as size goes', async () => {
    const res = await send([Buffer.alloc(limit)]);

    // All zeros: not a GLB, but it got past the size check to the validator.
    expect(res.status).toBe(422);
    assertNothingKept();
  });
});
