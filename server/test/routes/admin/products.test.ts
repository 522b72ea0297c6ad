import fs from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ErrorBody, Product } from '@vitrine/shared';
import { startTestServer, type TestServer } from '../../helpers/app.js';
import { boxGlb } from '../../helpers/glb.js';

type AdminProduct = Product & { archivedAt: string | null };

const digital = {
  name: 'Low-poly Fern',
  description: 'A fern in 400 triangles.',
  type: 'digital',
  price: { amount: 900, currency: 'eur' },
};
const physical = {
  name: 'Printed Fern',
  description: 'The fern, printed in PLA.',
  type: 'physical',
  price: { amount: 2500, currency: 'eur' },
  physical: { sku: 'FERN-PLA', weightGrams: 80, stock: 4 },
};

describe('/api/admin/products', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ STORE_CURRENCY: 'eur' });
  });
  afterAll(() => server.close());

  async function create(body: object): Promise<AdminProduct> {
    const res = await server.request('/api/admin/products', {
      method: 'POST',
      admin: true,
      json: body,
    });
    expect(res.status).toBe(201);
    return (await res.json()) as AdminProduct;
  }

  describe('POST /', () => {
    it('creates a digital product with an id, a slug from the name and no physical part', async () => {
      const res = await server.request('/api/admin/products', {
        method: 'POST',
        admin: true,
        json: digital,
      });
      const product = (await res.json()) as AdminProduct;

      expect(res.status).toBe(201);
      expect(res.headers.get('location')).toBe(`/api/admin/products/${product.id}`);
      expect(product.id).toMatch(/^prd_[\w-]{16}$/);
      expect(product).toMatchObject({
        slug: 'low-poly-fern',
        name: 'Low-poly Fern',
        type: 'digital',
        price: { amount: 900, currency: 'eur' },
        active: true,
        previewUrl: null,
        posterUrl: null,
        archivedAt: null,
      });
      expect(product.physical).toBeUndefined();
      expect(product.model).toBeUndefined();
      expect(Date.parse(product.createdAt)).not.toBeNaN();
    });

    it('creates a physical product with sku, weight and stock, and null stock means unlimited', async () => {
      const product = await create({
        ...physical,
        physical: { sku: 'FERN-NULL', weightGrams: 80, stock: null },
      });

      expect(product.physical).toEqual({ sku: 'FERN-NULL', weightGrams: 80, stock: null });
    });

    it('prices in the store currency when the price has no currency, zero-decimal yen included', async () => {
      const yenStore = await startTestServer({ STORE_CURRENCY: 'jpy' });
      try {
        const res = await yenStore.request('/api/admin/products', {
          method: 'POST',
          admin: true,
          json: { name: 'Yen Cube', type: 'digital', price: { amount: 500 } },
        });

        expect(res.status).toBe(201);
        expect(((await res.json()) as AdminProduct).price).toEqual({
          amount: 500,
          currency: 'jpy',
        });
      } finally {
        await yenStore.close();
      }
    });

    it('refuses a price the checkout could never charge: another currency, or beyond Stripe', async () => {
      const dollars = await server.request('/api/admin/products', {
        method: 'POST',
        admin: true,
        json: { ...digital, name: 'Dollar Cube', price: { amount: 900, currency: 'usd' } },
      });
      const huge = await server.request('/api/admin/products', {
        method: 'POST',
        admin: true,
        json: { ...digital, name: 'Gold Cube', price: { amount: 100_000_000, currency: 'eur' } },
      });

      expect(dollars.status).toBe(400);
      expect(((await dollars.json()) as ErrorBody).error.message).toMatch(
        /sells in EUR \(STORE_CURRENCY\)/,
      );
      expect(huge.status).toBe(400);
      expect(((await huge.json()) as ErrorBody).error.message).toMatch(
        /largest amount Stripe charges/,
      );
    });

    it('gives a second product with the same name a numbered slug', async () => {
      const first = await create({ ...digital, name: 'Twin Model' });
      const second = await create({ ...digital, name: 'Twin Model' });

      expect(first.slug).toBe('twin-model');
      expect(second.slug).toBe('twin-model-2');
    });

    it('folds accents and symbols into the slug and falls back when nothing is left', async () => {
      const accented = await create({ ...digital, name: 'Crème Brûlée — Ø 8 cm!' });
      const symbols = await create({ ...digital, name: '★★★' });

      expect(accented.slug).toBe('creme-brulee-o-8-cm');
      expect(symbols.slug).toMatch(/^product(-\d+)?$/);
    });

    it('answers 409 conflict when an explicit slug is taken', async () => {
      await create({ ...digital, slug: 'taken-slug' });

      const res = await server.request('/api/admin/products', {
        method: 'POST',
        admin: true,
        json: { ...digital, slug: 'taken-slug' },
      });

      expect(res.status).toBe(409);
      expect(((await res.json()) as ErrorBody).error.code).toBe('conflict');
    });

    it('answers 409 conflict when another product already uses the SKU', async () => {
      await create({ ...physical, physical: { ...physical.physical, sku: 'DUP-1' } });

      const res = await server.request('/api/admin/products', {
        method: 'POST',
        admin: true,
        json: { ...physical, name: 'Other', physical: { ...physical.physical, sku: 'DUP-1' } },
      });

      expect(res.status).toBe(409);
      expect(((await res.json()) as ErrorBody).error.message).toContain('DUP-1');
    });

    it('answers 400 with one message per bad field', async () => {
      const res = await server.request('/api/admin/products', {
        method: 'POST',
        admin: true,
        json: {
          name: '',
          type: 'gadget',
          price: { amount: -1, currency: 'EURO' },
          slug: 'Bad Slug',
        },
      });
      const body = (await res.json()) as ErrorBody;
      const fields = (body.error.details as { path: string }[]).map((d) => d.path);

      expect(res.status).toBe(400);
      expect(body.error.code).toBe('invalid_request');
      expect(fields).toEqual(
        expect.arrayContaining(['name', 'type', 'price.amount', 'price.currency', 'slug']),
      );
      expect(body.error.message).toContain('slug');
    });

    it('answers 400 when a physical product lacks its physical details', async () => {
      const res = await server.request('/api/admin/products', {
        method: 'POST',
        admin: true,
        json: { ...physical, physical: undefined },
      });
      const body = (await res.json()) as ErrorBody;

      expect(res.status).toBe(400);
      expect(body.error.details).toEqual([expect.objectContaining({ path: 'physical' })]);
    });

    it('answers 400 on unknown fields and on a body that is not JSON', async () => {
      const unknown = await server.request('/api/admin/products', {
        method: 'POST',
        admin: true,
        json: { ...digital, colour: 'green' },
      });
      const broken = await server.request('/api/admin/products', {
        method: 'POST',
        admin: true,
        headers: { 'content-type': 'application/json' },
        body: '{"name": ',
      });

      expect(unknown.status).toBe(400);
      expect(broken.status).toBe(400);
      expect(((await broken.json()) as ErrorBody).error.code).toBe('invalid_request');
    });

    it('refuses requests without the admin token', async () => {
      const res = await server.request('/api/admin/products', { method: 'POST', json: digital });

      expect(res.status).toBe(401);
    });
  });

  describe('GET / and GET /:id', () => {
    it('lists inactive products too, newest first, and finds them by name, slug, sku or id', async () => {
      const hidden = await create({ ...digital, name: 'Hidden Lantern', active: false });
      const lamp = await create({
        ...physical,
        name: 'Desk Lamp',
        physical: { ...physical.physical, sku: 'LAMP-77' },
      });

      const all = (await (await server.request('/api/admin/products', { admin: true })).json()) as {
        products: AdminProduct[];
      };
      const byName = await server.request('/api/admin/products?q=lantern', { admin: true });
      const bySku = await server.request('/api/admin/products?q=lamp-77', { admin: true });
      const byId = await server.request(`/api/admin/products?q=${hidden.id}`, { admin: true });
      const none = await server.request('/api/admin/products?q=%25', { admin: true });

      const ids = all.products.map((p) => p.id);
      expect(ids).toContain(hidden.id);
      expect(ids.indexOf(lamp.id)).toBeLessThan(ids.indexOf(hidden.id));
      expect(((await byName.json()) as { products: Product[] }).products.map((p) => p.id)).toEqual([
        hidden.id,
      ]);
      expect(((await bySku.json()) as { products: Product[] }).products.map((p) => p.id)).toEqual([
        lamp.id,
      ]);
      expect(((await byId.json()) as { products: Product[] }).products.map((p) => p.id)).toEqual([
        hidden.id,
      ]);
      expect(((await none.json()) as { products: Product[] }).products).toEqual([]);
    });

    it('returns one product by id and 404 for an unknown id', async () => {
      const product = await create({ ...digital, name: 'Single' });

      const found = await server.request(`/api/admin/products/${product.id}`, { admin: true });
      const missing = await server.request('/api/admin/products/prd_nope', { admin: true });

      expect(found.status).toBe(200);
      expect(await found.json()).toEqual(product);
      expect(missing.status).toBe(404);
      expect(((await missing.json()) as ErrorBody).error.code).toBe('not_found');
    });
  });

  describe('PATCH /:id', () => {
    it('updates only the fields sent and moves updatedAt', async () => {
      const product = await create({ ...digital, name: 'Patch Me' });

      const res = await server.request(`/api/admin/products/${product.id}`, {
        method: 'PATCH',
        admin: true,
        json: { price: { amount: 1200, currency: 'eur' }, description: 'Now better.' },
      });
      const updated = (await res.json()) as AdminProduct;

      expect(res.status).toBe(200);
      expect(updated).toMatchObject({
        name: 'Patch Me',
        description: 'Now better.',
        price: { amount: 1200 },
      });
      expect(updated.updatedAt >= product.updatedAt).toBe(true);
    });

    it("keeps the product's own currency when a new price comes without one, and asks for the store's", async () => {
      // This product was priced in dollars before the store switched STORE_CURRENCY to euro. A
      // new amount alone must not silently become 1500 euro cents, nor stay unchargeable dollars.
      const product = await create({ ...digital, name: 'Dollar Priced' });
      server.app.locals.context.db
        .prepare("UPDATE products SET currency = 'usd' WHERE id = ?")
        .run(product.id);

      const amountOnly = await server.request(`/api/admin/products/${product.id}`, {
        method: 'PATCH',
        admin: true,
        json: { price: { amount: 1500 } },
      });
      const inEuro = await server.request(`/api/admin/products/${product.id}`, {
        method: 'PATCH',
        admin: true,
        json: { price: { amount: 1500, currency: 'eur' } },
      });

      expect(amountOnly.status).toBe(400);
      expect(((await amountOnly.json()) as ErrorBody).error.message).toMatch(
        /a price in USD could never be charged/,
      );
      expect(inEuro.status).toBe(200);
      expect(((await inEuro.json()) as AdminProduct).price).toEqual({
        amount: 1500,
        currency: 'eur',
      });
    });

    it('answers 409 when the new slug belongs to another product and accepts its own slug', async () => {
      const a = await create({ ...digital, name: 'Slug A' });
      const b = await create({ ...digital, name: 'Slug B' });

      const clash = await server.request(`/api/admin/products/${b.id}`, {
        method: 'PATCH',
        admin: true,
        json: { slug: a.slug },
      });
      const same = await server.request(`/api/admin/products/${a.id}`, {
        method: 'PATCH',
        admin: true,
        json: { slug: a.slug },
      });

      expect(clash.status).toBe(409);
      expect(same.status).toBe(200);
    });

    it('turns a digital product hybrid only together with its physical details', async () => {
      const product = await create({ ...digital, name: 'Going Hybrid' });

      const without = await server.request(`/api/admin/products/${product.id}`, {
        method: 'PATCH',
        admin: true,
        json: { type: 'hybrid' },
      });
      const withDetails = await server.request(`/api/admin/products/${product.id}`, {
        method: 'PATCH',
        admin: true,
        json: { type: 'hybrid', physical: { sku: 'HYB-1', weightGrams: 50, stock: 3 } },
      });

      expect(without.status).toBe(400);
      expect(withDetails.status).toBe(200);
      expect(((await withDetails.json()) as Product).physical).toEqual({
        sku: 'HYB-1',
        weightGrams: 50,
        stock: 3,
      });
    });

    it('drops the physical details when a product turns digital', async () => {
      const product = await create({
        ...physical,
        name: 'Going Digital',
        physical: { sku: 'GD-1', weightGrams: 5, stock: 1 },
      });

      const res = await server.request(`/api/admin/products/${product.id}`, {
        method: 'PATCH',
        admin: true,
        json: { type: 'digital' },
      });

      expect(((await res.json()) as Product).physical).toBeUndefined();
    });

    it('answers 400 for a bad field and 404 for an unknown product', async () => {
      const product = await create({ ...digital, name: 'Bad Patch' });

      const bad = await server.request(`/api/admin/products/${product.id}`, {
        method: 'PATCH',
        admin: true,
        json: { price: { amount: 1.5, currency: 'eur' } },
      });
      const missing = await server.request('/api/admin/products/prd_missing', {
        method: 'PATCH',
        admin: true,
        json: { name: 'x' },
      });

      expect(bad.status).toBe(400);
      expect(((await bad.json()) as ErrorBody).error.message).toContain('price.amount');
      expect(missing.status).toBe(404);
    });
  });

  describe('DELETE /:id', () => {
    it('deletes a product no order refers to, with its model files', async () => {
      const product = await create({ ...digital, name: 'Delete Me' });
      const upload = await server.request(`/api/admin/products/${product.id}/model`, {
        method: 'PUT',
        admin: true,
        headers: { 'content-type': 'model/gltf-binary' },
        body: boxGlb(),
      });
      const { facts } = (await upload.json()) as { facts: { sha256: string } };
      const original = path.join(server.app.locals.context.paths.originals, `${facts.sha256}.glb`);
      expect(fs.existsSync(original)).toBe(true);

      const res = await server.request(`/api/admin/products/${product.id}`, {
        method: 'DELETE',
        admin: true,
      });
      const again = await server.request(`/api/admin/products/${product.id}`, { admin: true });

      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ id: product.id, outcome: 'deleted' });
      expect(again.status).toBe(404);
      expect(fs.existsSync(original)).toBe(false);
      expect(
        server.app.locals.context.db
          .prepare('SELECT COUNT(*) AS n FROM models WHERE product_id = ?')
          .get(product.id),
      ).toEqual({ n: 0 });
    });

    it('archives a product an order refers to, hides it from the shop and keeps it for the order', async () => {
      const product = await create({ ...digital, name: 'Sold Once' });
      insertOrderFor(server, product);

      const res = await server.request(`/api/admin/products/${product.id}`, {
        method: 'DELETE',
        admin: true,
      });
      const body = (await res.json()) as { outcome: string; product: AdminProduct };
      const publicList = (await (await server.request('/api/products')).json()) as {
        products: Product[];
      };
      const publicOne = await server.request(`/api/products/${product.slug}`);
      const adminOne = (await (
        await server.request(`/api/admin/products/${product.id}`, { admin: true })
      ).json()) as AdminProduct;

      expect(res.status).toBe(200);
      expect(body.outcome).toBe('archived');
      expect(body.product.active).toBe(false);
      expect(body.product.archivedAt).not.toBeNull();
      expect(publicList.products.map((p) => p.id)).not.toContain(product.id);
      expect(publicOne.status).toBe(404);
      expect(adminOne.archivedAt).toBe(body.product.archivedAt);
    });

    it('restores an archived product when it is made active again', async () => {
      const product = await create({ ...digital, name: 'Back Again' });
      insertOrderFor(server, product);
      await server.request(`/api/admin/products/${product.id}`, { method: 'DELETE', admin: true });

      const res = await server.request(`/api/admin/products/${product.id}`, {
        method: 'PATCH',
        admin: true,
        json: { active: true },
      });
      const restored = (await res.json()) as AdminProduct;

      expect(restored.archivedAt).toBeNull();
      expect(restored.active).toBe(true);
      expect((await server.request(`/api/products/${product.slug}`)).status).toBe(200);
    });

    it('answers 404 for an unknown product', async () => {
      const res = await server.request('/api/admin/products/prd_gone', {
        method: 'DELETE',
        admin: true,
      });

      expect(res.status).toBe(404);
    });
  });

  describe('PUT /:id/poster', () => {
    async function png(width: number, height: number): Promise<Buffer> {
      return sharp({ create: { width, height, channels: 3, background: '#3366cc' } })
        .png()
        .toBuffer();
    }

    it('stores a PNG poster under a content name, served from /files, and it wins over the generated one', async () => {
      const product = await create({ ...digital, name: 'Poster Owner' });
      const upload = await server.request(`/api/admin/products/${product.id}/model`, {
        method: 'PUT',
        admin: true,
        headers: { 'content-type': 'model/gltf-binary' },
        body: boxGlb(),
      });
      const generated = ((await upload.json()) as { product: Product }).product.posterUrl;
      expect(generated).toMatch(/\/files\/posters\/[0-9a-f]{64}\.png$/);

      const res = await server.request(`/api/admin/products/${product.id}/poster`, {
        method: 'PUT',
        admin: true,
        headers: { 'content-type': 'image/png' },
        body: await png(640, 480),
      });
      const withCustom = (await res.json()) as Product;
      const image = await fetch(withCustom.posterUrl!);
      const meta = await sharp(Buffer.from(await image.arrayBuffer())).metadata();

      expect(res.status).toBe(200);
      expect(withCustom.posterUrl).not.toBe(generated);
      expect(withCustom.posterUrl).toMatch(/\/files\/posters\/[0-9a-f]{64}\.png$/);
      expect(image.headers.get('content-type')).toBe('image/png');
      expect(meta).toMatchObject({ format: 'png', width: 640, height: 480 });

      const reupload = await server.request(`/api/admin/products/${product.id}/model`, {
        method: 'PUT',
        admin: true,
        headers: { 'content-type': 'model/gltf-binary' },
        body: boxGlb(),
      });
      expect(((await reupload.json()) as { product: Product }).product.posterUrl).toBe(
        withCustom.posterUrl,
      );

      const removed = await server.request(`/api/admin/products/${product.id}/poster`, {
        method: 'DELETE',
        admin: true,
      });
      expect(((await removed.json()) as Product).posterUrl).toMatch(
        /\/files\/posters\/[0-9a-f]{64}\.png$/,
      );
      expect((await fetch(withCustom.posterUrl!)).status).toBe(404);
    });

    it('accepts a JPEG for a physical product and scales a huge one down to 2048 pixels', async () => {
      const product = await create({
        ...physical,
        name: 'Photo Product',
        physical: { sku: 'PHOTO-1', weightGrams: 10, stock: 1 },
      });
      const jpeg = await sharp({
        create: { width: 4000, height: 1000, channels: 3, background: '#aa5500' },
      })
        .jpeg()
        .toBuffer();

      const res = await server.request(`/api/admin/products/${product.id}/poster`, {
        method: 'PUT',
        admin: true,
        headers: { 'content-type': 'image/jpeg' },
        body: jpeg,
      });
      const poster = (await res.json()) as Product;
      const meta = await sharp(
        Buffer.from(await (await fetch(poster.posterUrl!)).arrayBuffer()),
      ).metadata();

      expect(res.status).toBe(200);
      expect(poster.posterUrl).toMatch(/\.jpg$/);
      expect(meta).toMatchObject({ format: 'jpeg', width: 2048, height: 512 });
    });

    it('answers 415 for another content type and 400 for bytes that are not an image', async () => {
      const product = await create({ ...digital, name: 'Bad Poster' });

      const gif = await server.request(`/api/admin/products/${product.id}/poster`, {
        method: 'PUT',
        admin: true,
        headers: { 'content-type': 'image/gif' },
        body: Buffer.from('GIF89a'),
      });
      const garbage = await server.request(`/api/admin/products/${product.id}/poster`, {
        method: 'PUT',
        admin: true,
        headers: { 'content-type': 'image/png' },
        body: Buffer.from('not a png at all'),
      });

      expect(gif.status).toBe(415);
      expect(((await gif.json()) as ErrorBody).error.code).toBe('unsupported_media_type');
      expect(garbage.status).toBe(400);
      expect(((await garbage.json()) as ErrorBody).error.code).toBe('invalid_request');
    });
  });
});

/** Records a minimal paid order for `product`, as checkout would, so the product is referenced. */
function insertOrderFor(server: TestServer, product: Product): void {
  const { db } = server.app.locals.context;
  const orderId = `ord_test_${product.id}`;
  const at = new Date().toISOString();
  db.prepare(
    `INSERT INTO orders (id, key_hash, email, status, currency, total_amount, fulfillment_type,
       product_type, content_hash, created_at, updated_at)
     VALUES (?, 'hash', 'buyer@example.com', 'paid', ?, ?, 'digital_download', 'digital', 'content', ?, ?)`,
  ).run(orderId, product.price.currency, product.price.amount, at, at);
  db.prepare(
    `INSERT INTO order_items (id, order_id, position, kind, product_id, product_type, name, quantity,
       unit_amount, amount)
     VALUES (?, ?, 0, 'product', ?, ?, ?, 1, ?, ?)`,
  ).run(
    `oit_${product.id}`,
    orderId,
    product.id,
    product.type,
    product.name,
    product.price.amount,
    product.price.amount,
  );
}
