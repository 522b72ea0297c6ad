import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Product } from '@vitrine/shared';
import { seedDemoCatalog } from '../../src/services/demo-catalog.js';
import { startTestServer, type TestServer } from '../helpers/app.js';

describe('seedDemoCatalog()', () => {
  let dataDir: string;
  let server: TestServer;
  let seeded: string[];
  beforeAll(async () => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'vitrine-demo-'));
    server = await startTestServer({}, { dataDir });
    seeded = await seedDemoCatalog(server.app.locals.context);
  }, 120_000);
  afterAll(async () => {
    await server.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  async function publicProducts(): Promise<Product[]> {
    return ((await (await server.request('/api/products')).json()) as { products: Product[] })
      .products;
  }

  it('seeds an empty store with generated models that went through the upload pipeline', async () => {
    const products = await publicProducts();
    const withModels = products.filter((p) => p.model);

    expect(products.map((p) => p.id).sort()).toEqual([...seeded].sort());
    expect(withModels.length).toBeGreaterThanOrEqual(3);
    for (const product of withModels) {
      expect(product.model!.triangles, product.name).toBeGreaterThan(0);
      expect(product.previewUrl, product.name).toMatch(/\/files\/previews\/mdl_.+\.glb$/);
      expect(product.posterUrl, product.name).toMatch(/\/files\/posters\/[0-9a-f]{64}\.png$/);
      expect((await fetch(product.previewUrl!)).status).toBe(200);
    }
  });

  it('includes a physical product with stock 10 and a hybrid product with a file and a print', async () => {
    const products = await publicProducts();
    const physical = products.find((p) => p.type === 'physical');
    const hybrid = products.find((p) => p.type === 'hybrid');

    expect(physical?.physical).toMatchObject({ stock: 10 });
    expect(physical?.model).toBeUndefined();
    expect(physical?.posterUrl).toMatch(/\.png$/);
    expect(hybrid?.model).toBeDefined();
    expect(hybrid?.physical?.sku).toBeTruthy();
  });

  it('prices the demo in the store currency', async () => {
    const products = await publicProducts();

    expect(new Set(products.map((p) => p.price.currency))).toEqual(
      new Set([server.config.currency]),
    );
    expect(products.every((p) => p.price.amount > 0)).toBe(true);
  });

  it('draws posters that are real 800 × 800 PNGs with the model in them', async () => {
    const [product] = (await publicProducts()).filter((p) => p.model);
    const png = Buffer.from(await (await fetch(product!.posterUrl!)).arrayBuffer());
    const { data, info } = await sharp(png).raw().toBuffer({ resolveWithObject: true });
    let opaque = 0;
    for (let i = 3; i < data.length; i += 4) if (data[i]! > 0) opaque += 1;

    expect(info).toMatchObject({ width: 800, height: 800, channels: 4 });
    expect(opaque / (800 * 800)).toBeGreaterThan(0.1);
  });

  it('seeds nothing the second time, even after the demo products were deleted', async () => {
    const again = await seedDemoCatalog(server.app.locals.context);
    for (const id of seeded)
      await server.request(`/api/admin/products/${id}`, { method: 'DELETE', admin: true });

    const afterDelete = await seedDemoCatalog(server.app.locals.context);

    expect(again).toEqual([]);
    expect(afterDelete).toEqual([]);
    expect(await publicProducts()).toEqual([]);
  });

  it('seeds nothing on a later start of the same data directory', async () => {
    const later = await startTestServer({}, { dataDir });
    try {
      expect(await seedDemoCatalog(later.app.locals.context)).toEqual([]);
    } finally {
      await later.close();
    }
  });
});

describe('seedDemoCatalog() on a store that already has products', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ STORE_CURRENCY: 'jpy' });
  });
  afterAll(() => server.close());

  it('leaves the catalog alone', async () => {
    await server.request('/api/admin/products', {
      method: 'POST',
      admin: true,
      json: { name: 'Own Product', type: 'digital', price: { amount: 100 } },
    });

    const seeded = await seedDemoCatalog(server.app.locals.context);
    const { products } = (await (
      await server.request('/api/admin/products', { admin: true })
    ).json()) as {
      products: Product[];
    };

    expect(seeded).toEqual([]);
    expect(products.map((p) => p.name)).toEqual(['Own Product']);
  });
});
