import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { productSchema, type ErrorBody, type Product } from '@vitrine/shared';
import { startTestServer, type TestServer } from '../helpers/app.js';

describe('GET /api/products', () => {
  let server: TestServer;
  let visible: Product;
  let physical: Product;
  let inactive: Product;
  beforeAll(async () => {
    server = await startTestServer();
    const create = async (body: object) =>
      (await (
        await server.request('/api/admin/products', { method: 'POST', admin: true, json: body })
      ).json()) as Product;
    visible = await create({
      name: 'Visible Model',
      type: 'digital',
      price: { amount: 1500, currency: 'usd' },
      license: 'CC-BY-4.0',
    });
    physical = await create({
      name: 'Visible Print',
      type: 'physical',
      price: { amount: 2500, currency: 'usd' },
      physical: { sku: 'PRINT-1', weightGrams: 300, stock: null },
    });
    inactive = await create({
      name: 'Draft Model',
      type: 'digital',
      price: { amount: 100, currency: 'usd' },
      active: false,
    });
  });
  afterAll(() => server.close());

  it('lists the active products, oldest first, in the shared Product shape', async () => {
    const res = await server.request('/api/products');
    const body = (await res.json()) as { products: Product[] };

    expect(res.status).toBe(200);
    expect(body.products.map((p) => p.id)).toEqual([visible.id, physical.id]);
    for (const product of body.products)
      expect(productSchema.safeParse(product).success).toBe(true);
    expect(body.products[0]).toMatchObject({
      license: 'CC-BY-4.0',
      previewUrl: null,
      posterUrl: null,
    });
    expect(body.products[1]!.physical).toEqual({ sku: 'PRINT-1', weightGrams: 300, stock: null });
  });

  it('does not show admin-only fields to shoppers', async () => {
    const body = (await (await server.request('/api/products')).json()) as {
      products: Record<string, unknown>[];
    };

    expect(body.products[0]).not.toHaveProperty('archivedAt');
  });

  it('returns one active product by slug', async () => {
    const res = await server.request(`/api/products/${visible.slug}`);

    expect(res.status).toBe(200);
    expect(((await res.json()) as Product).id).toBe(visible.id);
  });

  it('answers 404 not_found for an unknown or inactive slug', async () => {
    const unknown = await server.request('/api/products/no-such-thing');
    const draft = await server.request(`/api/products/${inactive.slug}`);

    expect(unknown.status).toBe(404);
    expect(((await unknown.json()) as ErrorBody).error.code).toBe('not_found');
    expect(draft.status).toBe(404);
  });

  it('hides a product as soon as it is deactivated', async () => {
    await server.request(`/api/admin/products/${physical.id}`, {
      method: 'PATCH',
      admin: true,
      json: { active: false },
    });

    const body = (await (await server.request('/api/products')).json()) as { products: Product[] };

    expect(body.products.map((p) => p.id)).toEqual([visible.id]);
  });
});
