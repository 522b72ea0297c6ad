import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { parseCatalogExport } from '../../src/lib/catalog';

const product = {
  id: 'prd_1',
  slug: 'cube',
  name: 'Cube',
  description: 'A cube.',
  type: 'digital',
  price: { amount: 500, currency: 'usd' },
  active: true,
  previewUrl: null,
  posterUrl: null,
  createdAt: '2026-01-01T00:00:00.000Z',
  updatedAt: '2026-01-01T00:00:00.000Z',
};
const valid = {
  version: 1,
  generatedAt: '2026-01-02T00:00:00.000Z',
  store: { name: 'Shop', currency: 'usd', shippingCountries: ['DE'] },
  products: [product],
};

describe('parseCatalogExport()', () => {
  it('accepts the export the server writes', () => {
    const catalog = parseCatalogExport(valid);

    expect(catalog.store).toEqual({ name: 'Shop', currency: 'usd', shippingCountries: ['DE'] });
    expect(catalog.products[0]!.slug).toBe('cube');
  });

  it('lists every problem in one error', () => {
    const broken = {
      version: 2,
      store: { name: '', currency: 'USD', shippingCountries: ['germany'] },
      products: [{ ...product, price: { amount: -1, currency: 'usd' } }],
    };

    expect(() => parseCatalogExport(broken, 'the test export')).toThrowError(
      /the test export is not valid: version: expected 1, got 2; store.name: .*; store.currency: .*; store.shippingCountries: .*; products.0.price.amount: /,
    );
  });

  it('refuses two products with one slug, which would be one page', () => {
    expect(() =>
      parseCatalogExport({ ...valid, products: [product, { ...product, id: 'prd_2' }] }),
    ).toThrowError('two products share the slug "cube"');
  });
});

describe('loadCatalog()', () => {
  afterEach(() => {
    vi.unstubAllEnvs();
    vi.resetModules();
  });

  it('reads the file named by VITRINE_CATALOG_FILE and keeps only active products in listProducts()', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vitrine-catalog-'));
    const file = path.join(dir, 'catalog.json');
    fs.writeFileSync(
      file,
      JSON.stringify({
        ...valid,
        products: [product, { ...product, id: 'prd_2', slug: 'off', active: false }],
      }),
    );
    vi.stubEnv('VITRINE_CATALOG_FILE', file);
    const { listProducts, loadCatalog } = await import('../../src/lib/catalog');

    expect(loadCatalog().store.name).toBe('Shop');
    expect(listProducts().map((p) => p.slug)).toEqual(['cube']);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('builds an empty store, with a warning, when no export is named', async () => {
    vi.stubEnv('VITRINE_CATALOG_FILE', '');
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    const { loadCatalog } = await import('../../src/lib/catalog');

    expect(loadCatalog().products).toEqual([]);
    expect(warn).toHaveBeenCalledWith(expect.stringContaining('VITRINE_CATALOG_FILE is not set'));
    warn.mockRestore();
  });

  it('names the file when it cannot be read', async () => {
    vi.stubEnv('VITRINE_CATALOG_FILE', '/nonexistent/catalog.json');
    const { loadCatalog } = await import('../../src/lib/catalog');

    expect(() => loadCatalog()).toThrowError(
      /cannot read the catalog export at \/nonexistent\/catalog.json/,
    );
  });
});
