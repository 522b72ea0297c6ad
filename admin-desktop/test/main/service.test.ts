import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Product } from '@vitrine/shared';
import type { Result } from '../../src/common/bridge.js';
import { fixturePath, HAS_FIXTURES, SKIP_NOTE } from '../../../server/test/helpers/fixtures.js';
import { writeTriangleGlb } from '../helpers/glb.js';
import {
  ADMIN_TOKEN,
  closedPort,
  createServiceHarness,
  startTestServer,
  type ServiceHarness,
  type TestServer,
} from '../helpers/server.js';

function value<T>(result: Result<T>): T {
  if (!result.ok) throw new Error(`expected success, got: ${JSON.stringify(result.problem)}`);
  return result.value;
}

function problem<T>(result: Result<T>) {
  if (result.ok) throw new Error(`expected a problem, got: ${JSON.stringify(result.value)}`);
  return result.problem;
}

let server: TestServer;
let files: string;
beforeAll(async () => {
  server = await startTestServer();
  files = fs.mkdtempSync(path.join(os.tmpdir(), 'vitrine-admin-files-'));
});
afterAll(async () => {
  await server.close();
  fs.rmSync(files, { recursive: true, force: true });
});

describe('settingsSave()', () => {
  let harness: ServiceHarness;
  beforeAll(() => {
    harness = createServiceHarness();
  });
  afterAll(() => harness.cleanup());

  it('refuses an address where no server runs, and keeps nothing', async () => {
    const url = `http://127.0.0.1:${await closedPort()}`;
    const found = problem(
      await harness.service.settingsSave({ serverUrl: url, token: ADMIN_TOKEN }),
    );
    expect(found.cause).toBe(`Cannot reach the server at ${url}; is it running?`);
    expect(value(await harness.service.settingsGet()).configured).toBe(false);
  });

  it('refuses a wrong token after the health check passed', async () => {
    const found = problem(
      await harness.service.settingsSave({
        serverUrl: server.url,
        token: 'not-the-admin-token-at-all',
      }),
    );
    expect(found.what).toBe('Checking the admin token');
    expect(found.status).toBe(401);
    expect(value(await harness.service.settingsGet()).configured).toBe(false);
  });

  it('refuses an empty token without asking the server', async () => {
    const found = problem(
      await harness.service.settingsSave({ serverUrl: server.url, token: '  ' }),
    );
    expect(found.code).toBe('token_missing');
  });

  it('keeps a checked address and token, and never hands the token back', async () => {
    const view = value(
      await harness.service.settingsSave({ serverUrl: `${server.url}/`, token: ADMIN_TOKEN }),
    );
    expect(view).toMatchObject({
      serverUrl: server.url,
      configured: true,
      tokenStorage: 'session',
    });
    expect(view.storageNote).toMatch(/this session only/);
    expect(JSON.stringify(value(await harness.service.settingsGet()))).not.toContain(ADMIN_TOKEN);
    expect(fs.readFileSync(harness.settings.file, 'utf8')).not.toContain(ADMIN_TOKEN);
  });

  it('reports the server as reachable once connected', async () => {
    expect(value(await harness.service.serverStatus())).toMatchObject({
      reachable: true,
      serverUrl: server.url,
    });
  });
});

describe('calls before the app is connected', () => {
  it('explain that the server details are missing', async () => {
    const harness = createServiceHarness();
    try {
      const found = problem(await harness.service.productsList());
      expect(found.code).toBe('not_configured');
      expect(value(await harness.service.serverStatus()).reachable).toBe(false);
    } finally {
      harness.cleanup();
    }
  });
});

describe('products through the service', () => {
  let harness: ServiceHarness;
  let product: Product;
  beforeAll(async () => {
    harness = createServiceHarness();
    value(await harness.service.settingsSave({ serverUrl: server.url, token: ADMIN_TOKEN }));
  });
  afterAll(() => harness.cleanup());

  it('creates, finds, edits and deletes a product', async () => {
    product = value(
      await harness.service.productsCreate({
        name: 'Service test vase',
        description: 'made by the service test',
        type: 'digital',
        price: { amount: 1250, currency: server.config.currency },
        active: true,
      }),
    );
    expect(product).toMatchObject({ slug: 'service-test-vase', price: { amount: 1250 } });

    const found = value(await harness.service.productsList('Service test'));
    expect(found.map((p) => p.id)).toContain(product.id);
    expect(value(await harness.service.productsList('no-such-thing-anywhere'))).toEqual([]);

    const edited = value(
      await harness.service.productsUpdate(product.id, {
        price: { amount: 990, currency: server.config.currency },
      }),
    );
    expect(edited.price.amount).toBe(990);

    const extra = value(
      await harness.service.productsCreate({
        name: 'To be deleted',
        description: '',
        type: 'digital',
        price: { amount: 100, currency: server.config.currency },
        active: false,
      }),
    );
    expect(value(await harness.service.productsDelete(extra.id))).toEqual({ outcome: 'deleted' });
    expect(problem(await harness.service.productsGet(extra.id)).status).toBe(404);
  });

  it('streams a GLB, reports progress to the end and returns the facts', async () => {
    const file = path.join(files, 'triangle.glb');
    const size = writeTriangleGlb(file, { binBytes: 3 * 1024 * 1024 });
    harness.progress.length = 0;

    const result = value(await harness.service.productsUploadModel(product.id, file));
    expect(result.facts).toMatchObject({ bytes: size, format: 'glb', triangles: 1 });
    expect(result.product.model?.sha256).toBe(result.facts?.sha256);
    const last = harness.progress.at(-1);
    expect(last).toEqual({ productId: product.id, sent: size, total: size, done: true });
    expect(harness.progress.every((p) => p.total === size)).toBe(true);
  });

  it('hands over the preview bytes from the server for the 3D view', async () => {
    const bytes = value(await harness.service.modelsFetchPreview(product.id));
    expect(Buffer.from(bytes.subarray(0, 4)).toString('latin1')).toBe('glTF');
  });

  it('uploads a poster captured as PNG and refuses other bytes', async () => {
    const png = await sharp({ create: { width: 64, height: 48, channels: 3, background: '#7a8' } })
      .png()
      .toBuffer();
    const updated = value(
      await harness.service.productsUploadPoster(product.id, new Uint8Array(png)),
    );
    expect(updated.posterUrl).toMatch(/\/files\/posters\//);

    const found = problem(
      await harness.service.productsUploadPoster(product.id, new Uint8Array([1, 2, 3])),
    );
    expect(found.code).toBe('invalid_poster');
  });

  it('shows the validator findings when the server refuses a model', async () => {
    const file = path.join(files, 'broken.glb');
    const glb = Buffer.alloc(64);
    glb.write('glTF', 0, 'latin1');
    glb.writeUInt32LE(2, 4);
    glb.writeUInt32LE(64, 8);
    glb.writeUInt32LE(40, 12);
    glb.write('JSON', 16, 'latin1');
    glb.write('{"asset":{"version":"2.0"} this is not json', 20, 'latin1');
    fs.writeFileSync(file, glb);

    const found = problem(await harness.service.productsUploadModel(product.id, file));
    expect(found).toMatchObject({ status: 422, code: 'invalid_model' });
    expect(found.findings?.length).toBeGreaterThan(0);
    expect(found.findings?.[0]).toMatchObject({ severity: 'error', code: expect.any(String) });
    expect(found.action).toMatch(/Fix the findings/);
  });

  it('refuses a file that is not a GLB before sending anything', async () => {
    const file = path.join(files, 'notes.txt');
    fs.writeFileSync(file, 'hello');
    expect(problem(await harness.service.productsUploadModel(product.id, file)).code).toBe(
      'not_glb',
    );

    const disguised = path.join(files, 'disguised.glb');
    fs.writeFileSync(disguised, 'not a glb at all');
    expect(problem(await harness.service.productsUploadModel(product.id, disguised)).code).toBe(
      'not_glb',
    );
    expect(problem(await harness.service.productsUploadModel(product.id, '/etc/passwd')).code).toBe(
      'not_glb',
    );
  });

  it('cancels an upload in flight when the owner asks', async () => {
    const file = path.join(files, 'cancelled.glb');
    writeTriangleGlb(file, { binBytes: 96 * 1024 * 1024 });
    let cancelled: Promise<unknown> | undefined;
    const cancelling = createServiceHarness({
      onProgress: (event) => {
        cancelled ??= cancelling.service.productsUploadCancel(event.productId);
      },
    });
    try {
      value(await cancelling.service.settingsSave({ serverUrl: server.url, token: ADMIN_TOKEN }));
      const found = problem(await cancelling.service.productsUploadModel(product.id, file));
      expect(found.code).toBe('cancelled');
      expect(await cancelled).toEqual({ ok: true, value: true });
      // Nothing is left to cancel afterwards.
      expect(value(await cancelling.service.productsUploadCancel(product.id))).toBe(false);
    } finally {
      cancelling.cleanup();
    }
  });

  it('says when a product has no preview yet', async () => {
    const bare = value(
      await harness.service.productsCreate({
        name: 'No model yet',
        description: '',
        type: 'digital',
        price: { amount: 100, currency: server.config.currency },
        active: true,
      }),
    );
    expect(problem(await harness.service.modelsFetchPreview(bare.id)).code).toBe('no_preview');
  });

  describe.skipIf(!HAS_FIXTURES)(`with the Khronos Box${SKIP_NOTE}`, () => {
    it('reports the facts of Box.glb', async () => {
      const result = value(
        await harness.service.productsUploadModel(product.id, fixturePath('models', 'Box.glb')),
      );
      expect(result.facts).toMatchObject({ triangles: 12, meshes: 1, materials: 1, animations: 0 });
    });
  });
});

describe('orders, publishing and links through the service', () => {
  let harness: ServiceHarness;
  beforeAll(async () => {
    harness = createServiceHarness();
    value(await harness.service.settingsSave({ serverUrl: server.url, token: ADMIN_TOKEN }));
  });
  afterAll(() => harness.cleanup());

  it('lists orders and explains a missing one', async () => {
    expect(
      Array.isArray(
        value(await harness.service.ordersList({ status: 'paid', q: 'nobody@example.com' })),
      ),
    ).toBe(true);
    expect(problem(await harness.service.ordersGet('ord_does_not_exist')).status).toBe(404);
  });

  it('reads the publish state', async () => {
    const state = value(await harness.service.publishStatus());
    expect(['idle', 'building', 'failed', 'succeeded']).toContain(state.state);
  });

  it('opens only http(s) links', async () => {
    expect(value(await harness.service.linksOpen('https://tracking.example.com/1'))).toBe(true);
    expect(problem(await harness.service.linksOpen('file:///etc/passwd')).code).toBe(
      'link_refused',
    );
    expect(problem(await harness.service.linksOpen('javascript:alert(1)')).code).toBe(
      'link_refused',
    );
    expect(harness.opened).toEqual(['https://tracking.example.com/1']);
  });
});
