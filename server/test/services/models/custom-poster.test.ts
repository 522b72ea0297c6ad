import fs from 'node:fs';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createProduct, deleteProduct } from '../../../src/services/catalog.js';
import { storeCustomPoster } from '../../../src/services/models/custom-poster.js';
import { startTestServer, type TestServer } from '../../helpers/app.js';

describe('storeCustomPoster()', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(() => server.close());

  it('leaves no poster file behind when the product is deleted while the image is processed', async () => {
    const context = server.app.locals.context;
    const product = createProduct(context, {
      name: 'Deleted Meanwhile',
      description: '',
      type: 'digital',
      price: { amount: 500, currency: 'usd' },
      active: true,
    });
    const png = await sharp({
      create: { width: 64, height: 64, channels: 3, background: '#3366cc' },
    })
      .png()
      .toBuffer();

    // The product is checked before the first await; it is gone by the time the file is stored.
    const storing = storeCustomPoster(context, product.id, png);
    deleteProduct(context, product.id);

    await expect(storing).rejects.toMatchObject({ code: 'not_found' });
    const posters = fs.existsSync(context.paths.posters)
      ? fs.readdirSync(context.paths.posters)
      : [];
    expect(posters).toEqual([]);
  });
});
