import { describe, expect, it } from 'vitest';
import { buildOrderMetadata, paymentIdempotencyKey } from '../../src/services/checkout.js';

describe('buildOrderMetadata()', () => {
  const order = {
    orderId: 'ord_abc',
    fulfillmentType: 'digital_download' as const,
    productType: 'digital',
  };

  it('carries the order id, fulfilment type and product type, and nothing else', () => {
    expect(buildOrderMetadata(order)).toEqual({
      order_id: 'ord_abc',
      fulfillment_type: 'digital_download',
      product_type: 'digital',
    });
  });

  it('never lets extra keys overwrite the order pointer', () => {
    expect(buildOrderMetadata(order, { order_id: 'ord_forged', campaign: 'spring' })).toMatchObject(
      {
        order_id: 'ord_abc',
        campaign: 'spring',
      },
    );
  });

  it('refuses a key longer than 40 characters', () => {
    expect(() => buildOrderMetadata(order, { ['k'.repeat(41)]: 'v' })).toThrow(/longer than 40/);
  });

  it('refuses a value longer than 500 characters', () => {
    expect(() => buildOrderMetadata(order, { note: 'v'.repeat(501) })).toThrow(/longer than 500/);
  });

  it('refuses more than 50 keys', () => {
    const many = Object.fromEntries(Array.from({ length: 48 }, (_, i) => [`k${i}`, 'v']));

    expect(() => buildOrderMetadata(order, many)).toThrow(/51 keys; Stripe allows 50/);
  });

  it('accepts exactly the limits', () => {
    const many = Object.fromEntries(Array.from({ length: 46 }, (_, i) => [`k${i}`, 'v']));

    expect(() =>
      buildOrderMetadata(order, { ...many, ['k'.repeat(40)]: 'v'.repeat(500) }),
    ).not.toThrow();
  });
});

describe('paymentIdempotencyKey()', () => {
  it("changes with the order and with the content, and fits Stripe's 255 characters", () => {
    const a = paymentIdempotencyKey('pi', 'ord_1', { contentHash: 'a'.repeat(64) });
    const b = paymentIdempotencyKey('pi', 'ord_1', { contentHash: 'b'.repeat(64) });
    const c = paymentIdempotencyKey('pi', 'ord_2', { contentHash: 'a'.repeat(64) });
    const d = paymentIdempotencyKey('cs', 'ord_1', { contentHash: 'a'.repeat(64) });

    expect(new Set([a, b, c, d]).size).toBe(4);
    expect(a.length).toBeLessThanOrEqual(255);
  });
});
