import type { CheckoutRequest, Product, ProductType } from '@vitrine/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fulfillmentTypeFor, priceOrder, productTypeFor } from '../../src/services/pricing.js';
import {
  ADDRESS,
  createModelAndPrint,
  createProduct,
  startShop,
  type Shop,
} from '../payments/shop.js';

describe('fulfillmentTypeFor()', () => {
  it.each<[ProductType[], string]>([
    [['digital'], 'digital_download'],
    [['digital', 'digital'], 'digital_download'],
    [['physical'], 'physical_shipping'],
    [['physical', 'physical'], 'physical_shipping'],
    [['hybrid'], 'digital_and_physical'],
    [['digital', 'physical'], 'digital_and_physical'],
    [['physical', 'hybrid'], 'digital_and_physical'],
    [['digital', 'hybrid'], 'digital_and_physical'],
  ])('routes %j to %s', (types, expected) => {
    expect(fulfillmentTypeFor(types)).toBe(expected);
  });

  it('throws for an empty order, naming the function', () => {
    expect(() => fulfillmentTypeFor([])).toThrow(/fulfillmentTypeFor\(\)/);
  });
});

describe('productTypeFor()', () => {
  it.each<[ProductType[], string]>([
    [['digital'], 'digital'],
    [['hybrid', 'hybrid'], 'hybrid'],
    [['digital', 'physical'], 'mixed'],
  ])('names %j as %s', (types, expected) => {
    expect(productTypeFor(types)).toBe(expected);
  });
});

describe('priceOrder()', () => {
  let shop: Shop;
  let model: Product;
  let print: Product;
  const price = (request: Partial<CheckoutRequest> & Pick<CheckoutRequest, 'items'>) =>
    priceOrder(shop.server.app.locals.context, {
      email: 'ada@example.com',
      ...request,
    } as CheckoutRequest);

  beforeAll(async () => {
    shop = await startShop({ SHIPPING_FREE_OVER: '10000' });
    ({ model, print } = await createModelAndPrint(shop.server, null));
  });
  afterAll(() => shop.close());

  it('prices from the catalog and adds the shipping line', () => {
    const priced = price({
      items: [
        { productId: model.id, quantity: 1 },
        { productId: print.id, quantity: 2 },
      ],
      shippingAddress: ADDRESS,
    });

    expect(priced.lines.map((l) => [l.productId, l.quantity, l.unitAmount, l.amount])).toEqual([
      [model.id, 1, 1200, 1200],
      [print.id, 2, 2500, 5000],
    ]);
    expect(priced.shipping).toEqual({
      kind: 'shipping',
      name: expect.stringContaining('DE'),
      amount: 500,
    });
    expect(priced.total).toEqual({ amount: 6700, currency: 'eur' });
  });

  it('keeps a free shipping line above the free-shipping threshold', () => {
    const priced = price({
      items: [{ productId: print.id, quantity: 4 }],
      shippingAddress: ADDRESS,
    });

    expect(priced.shipping?.amount).toBe(0);
    expect(priced.total.amount).toBe(10000);
  });

  it('ignores an address for a digital-only cart', () => {
    const priced = price({
      items: [{ productId: model.id, quantity: 1 }],
      shippingAddress: ADDRESS,
    });

    expect(priced.shipping).toBeNull();
    expect(priced.shippingAddress).toBeNull();
  });

  it('hashes everything that is charged: quantity, address and email change the hash', () => {
    const base = price({ items: [{ productId: print.id, quantity: 1 }], shippingAddress: ADDRESS });

    const hashes = [
      base.contentHash,
      price({ items: [{ productId: print.id, quantity: 2 }], shippingAddress: ADDRESS })
        .contentHash,
      price({
        items: [{ productId: print.id, quantity: 1 }],
        shippingAddress: { ...ADDRESS, line1: '13 Analytical Row' },
      }).contentHash,
      price({
        items: [{ productId: print.id, quantity: 1 }],
        shippingAddress: ADDRESS,
        email: 'grace@example.com',
      }).contentHash,
    ];

    expect(new Set(hashes).size).toBe(4);
    expect(
      price({ items: [{ productId: print.id, quantity: 1 }], shippingAddress: ADDRESS })
        .contentHash,
    ).toBe(base.contentHash);
  });
});
