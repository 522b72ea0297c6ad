import { VitrineError } from '@vitrine/shared';
import { describe, expect, it } from 'vitest';
import { loadConfig, type Config } from '../../src/config.js';
import { quoteShipping, type ShippingLine } from '../../src/services/shipping.js';

function configWith(env: Record<string, string | undefined>): Config {
  return loadConfig({
    NODE_ENV: 'test',
    DATA_DIR: '/nonexistent-vitrine-test',
    ADMIN_TOKEN: 'test-admin-token-0123456789abcdef',
    DOWNLOAD_TOKEN_SECRET: 'shipping-test-secret-0123456789abcdefghij',
    SHIPPING_COUNTRIES: 'DE,FR,US',
    ...env,
  });
}

const line = (quantity: number, weightGrams: number, unit: number): ShippingLine => ({
  quantity,
  weightGrams,
  amount: unit * quantity,
});

describe('quoteShipping()', () => {
  const bands = '500:490,2000:990,10000:1990';

  it.each([
    {
      name: 'flat rate per order, whatever the cart holds',
      env: { SHIPPING_MODE: 'flat', SHIPPING_FLAT_AMOUNT: '650' },
      lines: [line(3, 200, 1000), line(1, 50, 500)],
      amount: 650,
      label: 'Shipping to DE (flat rate)',
    },
    {
      name: 'per item, counting units not lines',
      env: { SHIPPING_MODE: 'per_item', SHIPPING_PER_ITEM_AMOUNT: '300' },
      lines: [line(3, 200, 1000), line(2, 50, 500)],
      amount: 1500,
      label: 'Shipping to DE (5 items)',
    },
    {
      name: 'per item, one unit',
      env: { SHIPPING_MODE: 'per_item', SHIPPING_PER_ITEM_AMOUNT: '300' },
      lines: [line(1, 200, 1000)],
      amount: 300,
      label: 'Shipping to DE (1 item)',
    },
    {
      name: 'weight: the lightest band',
      env: { SHIPPING_MODE: 'weight', SHIPPING_WEIGHT_BANDS: bands },
      lines: [line(2, 250, 1000)],
      amount: 490,
      label: 'Shipping to DE (500 g, up to 500 g)',
    },
    {
      name: 'weight: one gram over a band takes the next one',
      env: { SHIPPING_MODE: 'weight', SHIPPING_WEIGHT_BANDS: bands },
      lines: [line(1, 501, 1000)],
      amount: 990,
      label: 'Shipping to DE (501 g, up to 2 kg)',
    },
    {
      name: 'weight: quantities multiply the unit weight',
      env: { SHIPPING_MODE: 'weight', SHIPPING_WEIGHT_BANDS: bands },
      lines: [line(4, 1200, 1000), line(1, 100, 1000)],
      amount: 1990,
      label: 'Shipping to DE (4.9 kg, up to 10 kg)',
    },
    {
      name: 'weight: exactly the last band still ships',
      env: { SHIPPING_MODE: 'weight', SHIPPING_WEIGHT_BANDS: bands },
      lines: [line(10, 1000, 100)],
      amount: 1990,
      label: 'Shipping to DE (10 kg, up to 10 kg)',
    },
    {
      name: 'weight: bands given out of order are sorted',
      env: { SHIPPING_MODE: 'weight', SHIPPING_WEIGHT_BANDS: '2000:990,500:490' },
      lines: [line(1, 400, 100)],
      amount: 490,
      label: 'Shipping to DE (400 g, up to 500 g)',
    },
    {
      name: 'free once the goods subtotal reaches the threshold',
      env: { SHIPPING_MODE: 'flat', SHIPPING_FLAT_AMOUNT: '650', SHIPPING_FREE_OVER: '5000' },
      lines: [line(2, 100, 2500)],
      amount: 0,
      label: 'Shipping to DE (free)',
    },
    {
      name: 'not free one minor unit below the threshold',
      env: { SHIPPING_MODE: 'flat', SHIPPING_FLAT_AMOUNT: '650', SHIPPING_FREE_OVER: '5000' },
      lines: [line(1, 100, 4999)],
      amount: 650,
      label: 'Shipping to DE (flat rate)',
    },
    {
      name: 'free threshold applies to weight mode too',
      env: { SHIPPING_MODE: 'weight', SHIPPING_WEIGHT_BANDS: bands, SHIPPING_FREE_OVER: '1000' },
      lines: [line(1, 1500, 1000)],
      amount: 0,
      label: 'Shipping to DE (free)',
    },
  ])('prices $name', ({ env, lines, amount, label }) => {
    const quote = quoteShipping(configWith(env), lines, 'DE');

    expect(quote).toEqual({ amount, label });
  });

  it('accepts a lower-case country code and names it in upper case', () => {
    const quote = quoteShipping(
      configWith({ SHIPPING_MODE: 'flat', SHIPPING_FLAT_AMOUNT: '500' }),
      [line(1, 10, 100)],
      'fr',
    );

    expect(quote).toEqual({ amount: 500, label: 'Shipping to FR (flat rate)' });
  });

  it('refuses a country the store does not serve, naming it and the served ones', () => {
    const config = configWith({});

    const attempt = () => quoteShipping(config, [line(1, 100, 1000)], 'JP');

    expect(attempt).toThrow(VitrineError);
    try {
      attempt();
    } catch (error) {
      const e = error as VitrineError;
      expect(e.code).toBe('shipping_unavailable');
      expect(e.status).toBe(422);
      expect(e.message).toContain('JP');
      expect(e.message).toContain('DE, FR, US');
    }
  });

  it('refuses a parcel heavier than the last weight band', () => {
    const config = configWith({ SHIPPING_MODE: 'weight', SHIPPING_WEIGHT_BANDS: bands });

    const attempt = () => quoteShipping(config, [line(3, 4000, 1000)], 'DE');

    expect(attempt).toThrow(/12 kg, more than the 10 kg/);
    expect(attempt).toThrow(expect.objectContaining({ code: 'shipping_unavailable' }));
  });

  it('does not waive the country rule when shipping would be free', () => {
    const config = configWith({ SHIPPING_FREE_OVER: '1' });

    expect(() => quoteShipping(config, [line(1, 100, 1000)], 'JP')).toThrow(
      expect.objectContaining({ code: 'shipping_unavailable' }),
    );
  });

  it('throws a RangeError naming the function for a negative or fractional quantity', () => {
    const config = configWith({});

    expect(() => quoteShipping(config, [{ quantity: 0, weightGrams: 1, amount: 1 }], 'DE')).toThrow(
      /quoteShipping\(\): quantity/,
    );
    expect(() =>
      quoteShipping(config, [{ quantity: 1.5, weightGrams: 1, amount: 1 }], 'DE'),
    ).toThrow(RangeError);
  });
});
