import { describe, expect, it } from 'vitest';
import {
  addLine,
  cartCount,
  cartFingerprint,
  cartSubtotal,
  MAX_LINES,
  parseStoredCart,
  removeLine,
  setLineQuantity,
  toCheckoutItems,
  type CartProduct,
} from '../../src/lib/cart';

const file: CartProduct = {
  productId: 'prd_file',
  slug: 'file',
  name: 'A file',
  type: 'digital',
  unitPrice: { amount: 1250, currency: 'usd' },
  posterUrl: null,
  stock: null,
};
const mug: CartProduct = {
  ...file,
  productId: 'prd_mug',
  slug: 'mug',
  name: 'Mug',
  type: 'physical',
  unitPrice: { amount: 900, currency: 'usd' },
  stock: 3,
};
const print: CartProduct = {
  ...file,
  productId: 'prd_print',
  slug: 'print',
  name: 'Print',
  type: 'hybrid',
  stock: null,
};

describe('addLine()', () => {
  it('keeps a digital file at quantity 1 however often it is added', () => {
    const lines = addLine(addLine([], file, 1), file, 4);

    expect(lines).toHaveLength(1);
    expect(lines[0]!.quantity).toBe(1);
  });

  it('adds up physical quantities, capped at the stock the site was built with', () => {
    const lines = addLine(addLine([], mug, 2), mug, 2);

    expect(lines[0]!.quantity).toBe(3);
  });

  it('caps unlimited stock at the 100 units per line the server accepts', () => {
    expect(addLine([], print, 250)[0]!.quantity).toBe(100);
  });

  it('holds several products side by side and does not mutate its input', () => {
    const empty: never[] = [];
    const lines = addLine(addLine(empty, file), mug, 2);

    expect(lines.map((l) => [l.productId, l.quantity])).toEqual([
      ['prd_file', 1],
      ['prd_mug', 2],
    ]);
    expect(empty).toEqual([]);
  });

  it('refuses a line beyond the server’s limit of lines per order', () => {
    let lines = addLine([], file);
    for (let i = 1; i < MAX_LINES; i++) lines = addLine(lines, { ...file, productId: `prd_${i}` });

    expect(addLine(lines, mug)).toHaveLength(MAX_LINES);
  });
});

describe('setLineQuantity()', () => {
  it('changes a physical quantity and removes the line at zero', () => {
    const lines = addLine(addLine([], mug), file);

    expect(setLineQuantity(lines, 'prd_mug', 2)[0]!.quantity).toBe(2);
    expect(setLineQuantity(lines, 'prd_mug', 0).map((l) => l.productId)).toEqual(['prd_file']);
  });

  it('ignores a quantity that is not a number', () => {
    const lines = addLine([], mug);

    expect(setLineQuantity(lines, 'prd_mug', Number.NaN)).toEqual(lines);
  });
});

describe('cartSubtotal() and cartCount()', () => {
  it('adds the display prices of all lines', () => {
    const lines = addLine(addLine([], file), mug, 2);

    expect(cartSubtotal(lines)).toEqual({ amount: 1250 + 1800, currency: 'usd' });
    expect(cartCount(lines)).toBe(3);
  });

  it('gives no subtotal for an empty cart or one that mixes currencies', () => {
    const mixed = addLine(addLine([], file), {
      ...mug,
      unitPrice: { amount: 900, currency: 'eur' },
    });

    expect(cartSubtotal([])).toBeNull();
    expect(cartSubtotal(mixed)).toBeNull();
  });
});

describe('toCheckoutItems()', () => {
  it('sends ids and quantities only, never prices', () => {
    const lines = addLine(addLine([], file), mug, 2);

    expect(toCheckoutItems(lines)).toEqual([
      { productId: 'prd_file', quantity: 1 },
      { productId: 'prd_mug', quantity: 2 },
    ]);
  });
});

describe('cartFingerprint()', () => {
  it('is the same for the same contents in any order, and differs after a change', () => {
    const a = addLine(addLine([], file), mug, 2);
    const b = addLine(addLine([], mug, 2), file);

    expect(cartFingerprint(a)).toBe(cartFingerprint(b));
    expect(cartFingerprint(setLineQuantity(a, 'prd_mug', 1))).not.toBe(cartFingerprint(a));
    expect(cartFingerprint(removeLine(a, 'prd_file'))).not.toBe(cartFingerprint(a));
  });
});

describe('parseStoredCart()', () => {
  it('reads what the store saved', () => {
    const lines = addLine(addLine([], file), mug, 2);

    expect(parseStoredCart(JSON.stringify(lines))).toEqual(lines);
  });

  it('drops malformed lines, duplicates and impossible quantities instead of failing', () => {
    const raw = JSON.stringify([
      { ...file, quantity: 7 },
      { ...file, quantity: 1 },
      { productId: 'x' },
      { ...mug, quantity: 99, unitPrice: { amount: 1.5, currency: 'usd' } },
      { ...mug, quantity: 99 },
      'junk',
      null,
    ]);

    expect(parseStoredCart(raw).map((l) => [l.productId, l.quantity])).toEqual([
      ['prd_file', 1],
      ['prd_mug', 3],
    ]);
  });

  it('gives an empty cart for missing or broken storage', () => {
    expect(parseStoredCart(null)).toEqual([]);
    expect(parseStoredCart('{not json')).toEqual([]);
    expect(parseStoredCart('{"a":1}')).toEqual([]);
  });
});
