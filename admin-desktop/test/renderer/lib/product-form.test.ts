import { describe, expect, it } from 'vitest';
import type { Product } from '@vitrine/shared';
import {
  emptyForm,
  formFromProduct,
  slugify,
  toCreatePayload,
  toUpdatePayload,
} from '../../../src/renderer/lib/product-form.js';

const product: Product = {
  id: 'prd_1',
  slug: 'ceramic-vase',
  name: 'Ceramic vase',
  description: 'A vase.',
  type: 'hybrid',
  price: { amount: 4500, currency: 'eur' },
  active: true,
  physical: { sku: 'VASE-1', weightGrams: 900, stock: 3 },
  previewUrl: null,
  posterUrl: null,
  createdAt: '2026-01-01T00:00:00.000Z',
  updatedAt: '2026-01-01T00:00:00.000Z',
};

describe('toCreatePayload()', () => {
  it('builds a digital product with the price in minor units', () => {
    const form = {
      ...emptyForm('eur'),
      name: ' Low-poly fox ',
      price: '12.50',
      description: 'Fox',
    };
    expect(toCreatePayload(form)).toEqual({
      ok: true,
      value: {
        name: 'Low-poly fox',
        description: 'Fox',
        type: 'digital',
        price: { amount: 1250, currency: 'eur' },
        active: true,
      },
    });
  });

  it('adds the physical fields for physical and hybrid products; empty stock is unlimited', () => {
    const form = {
      ...emptyForm('usd'),
      name: 'Printed fox',
      type: 'physical' as const,
      price: '30',
      sku: 'FOX-1',
      weightGrams: '250',
      stock: '',
      slug: 'printed-fox',
    };
    const result = toCreatePayload(form);
    expect(result.ok && result.value).toMatchObject({
      slug: 'printed-fox',
      physical: { sku: 'FOX-1', weightGrams: 250, stock: null },
    });
  });

  it('reports every bad field at once', () => {
    const form = {
      ...emptyForm('usd'),
      type: 'hybrid' as const,
      price: '12.345',
      slug: 'Not A Slug',
      weightGrams: '-3',
      stock: '2.5',
    };
    const result = toCreatePayload(form);
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(Object.keys(result.errors).sort()).toEqual([
        'name',
        'price',
        'sku',
        'slug',
        'stock',
        'weightGrams',
      ]);
    }
  });
});

describe('toUpdatePayload()', () => {
  it('sends only what changed', () => {
    const form = { ...formFromProduct(product), price: '49.90', stock: '' };
    expect(toUpdatePayload(form, product)).toEqual({
      ok: true,
      value: {
        price: { amount: 4990, currency: 'eur' },
        physical: { sku: 'VASE-1', weightGrams: 900, stock: null },
      },
    });
  });

  it('sends nothing when nothing changed', () => {
    expect(toUpdatePayload(formFromProduct(product), product)).toEqual({ ok: true, value: {} });
  });

  it('drops the physical fields when a product turns digital', () => {
    const form = { ...formFromProduct(product), type: 'digital' as const };
    expect(toUpdatePayload(form, product)).toEqual({
      ok: true,
      value: { type: 'digital', physical: null },
    });
  });
});

describe('formFromProduct()', () => {
  it('shows the price in major units and unlimited stock as empty', () => {
    const form = formFromProduct({
      ...product,
      physical: { sku: 'V', weightGrams: 1, stock: null },
    });
    expect(form).toMatchObject({ price: '45.00', currency: 'eur', stock: '', weightGrams: '1' });
  });
});

describe('slugify()', () => {
  it.each([
    ['Ceramic Vase #2', 'ceramic-vase-2'],
    ['  Crème brûlée  ', 'creme-brulee'],
    ['Über Möbel', 'uber-mobel'],
    ['---', ''],
  ])('makes "%s" into "%s"', (name, slug) => {
    expect(slugify(name)).toBe(slug);
  });
});
