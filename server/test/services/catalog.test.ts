import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Product } from '@vitrine/shared';
import { getProductsByIds, slugify, toProduct } from '../../src/services/catalog.js';
import { startTestServer, type TestServer } from '../helpers/app.js';

describe('slugify()', () => {
  it.each([
    ['Low-poly Fern', 'low-poly-fern'],
    ['  Ünïcödé   Çafé  ', 'unicode-cafe'],
    ['Straße & Smørrebrød', 'strasse-smorrebrod'],
    ['--A__B--', 'a-b'],
    ['日本', ''],
    ['x'.repeat(100), 'x'.repeat(60)],
  ])('turns %j into %j', (name, slug) => {
    expect(slugify(name)).toBe(slug);
  });
});

describe('getProductsByIds() and toProduct()', () => {
  let server: TestServer;
  const ids: string[] = [];
  beforeAll(async () => {
    server = await startTestServer({ STORE_CURRENCY: 'eur' });
    for (const name of ['One', 'Two']) {
      const res = await server.request('/api/admin/products', {
        method: 'POST',
        admin: true,
        json: {
          name,
          type: 'hybrid',
          price: { amount: 300, currency: 'eur' },
          physical: { sku: `SKU-${name}`, weightGrams: 20, stock: 2 },
        },
      });
      ids.push(((await res.json()) as Product).id);
    }
  });
  afterAll(() => server.close());

  it('returns the rows asked for, once each, and skips unknown ids', () => {
    const rows = getProductsByIds(server.app.locals.context.db, [
      ids[0]!,
      'prd_unknown',
      ids[1]!,
      ids[0]!,
    ]);

    expect(rows.map((r) => r.id).sort()).toEqual([...ids].sort());
    expect(rows[0]).toMatchObject({
      type: 'hybrid',
      price_amount: 300,
      currency: 'eur',
      weight_grams: 20,
      stock: 2,
      model_id: null,
      archived_at: null,
    });
    expect(getProductsByIds(server.app.locals.context.db, [])).toEqual([]);
  });

  it('turns a row into the Product shape the API sends', () => {
    const [row] = getProductsByIds(server.app.locals.context.db, [ids[0]!]);

    expect(toProduct(server.app.locals.context, row!)).toMatchObject({
      id: ids[0],
      price: { amount: 300, currency: 'eur' },
      physical: { sku: 'SKU-One', weightGrams: 20, stock: 2 },
      active: true,
    });
  });
});
