import { describe, expect, it } from 'vitest';
import { moneySchema } from '../src/schemas.js';
import {
  currencyExponent,
  formatMoney,
  minimumChargeAmount,
  sumMoney,
  toMajorUnits,
  toMinorUnits,
} from '../src/money.js';

describe('currencyExponent()', () => {
  it.each([
    ['usd', 2],
    ['EUR', 2],
    ['jpy', 0],
    ['krw', 0],
    ['vnd', 0],
    ['kwd', 3],
    ['bhd', 3],
  ])('gives %s %i decimal places', (currency, exponent) => {
    expect(currencyExponent(currency)).toBe(exponent);
  });
});

describe('toMinorUnits()', () => {
  it.each([
    ['12.50', 'usd', 1250],
    ['12.5', 'eur', 1250],
    ['0.07', 'usd', 7],
    ['1999', 'jpy', 1999],
    ['1.234', 'kwd', 1234],
    ['19.99', 'usd', 1999],
    ['0.29', 'eur', 29],
  ])('turns %s %s into %i without float error', (major, currency, minor) => {
    expect(toMinorUnits(major, currency)).toBe(minor);
  });

  it('refuses more decimals than the currency has', () => {
    expect(() => toMinorUnits('10.5', 'jpy')).toThrow(/0 decimal places/);
    expect(() => toMinorUnits('1.005', 'usd')).toThrow(RangeError);
  });

  it('refuses text that is not a plain decimal', () => {
    expect(() => toMinorUnits('1e3', 'usd')).toThrow(/not a plain decimal/);
    expect(() => toMinorUnits('-1', 'usd')).toThrow(RangeError);
  });
});

describe('toMajorUnits() and formatMoney()', () => {
  it('formats by the currency exponent', () => {
    expect(toMajorUnits(1250, 'usd')).toBe(12.5);
    expect(formatMoney({ amount: 1250, currency: 'usd' }, 'en-US')).toBe('$12.50');
    expect(formatMoney({ amount: 1500, currency: 'jpy' }, 'en-US')).toBe('¥1,500');
    expect(formatMoney({ amount: 1234, currency: 'kwd' }, 'en-US')).toMatch(/^KWD\s1\.234$/);
  });
});

describe('minimumChargeAmount()', () => {
  it('follows Stripe minimums and falls back for unlisted currencies', () => {
    expect(minimumChargeAmount('usd')).toBe(50);
    expect(minimumChargeAmount('gbp')).toBe(30);
    expect(minimumChargeAmount('jpy')).toBe(50);
    expect(minimumChargeAmount('kwd')).toBe(500);
    expect(minimumChargeAmount('isk')).toBe(50);
  });
});

describe('sumMoney()', () => {
  it('adds amounts of one currency', () => {
    expect(
      sumMoney(
        [
          { amount: 100, currency: 'eur' },
          { amount: 250, currency: 'eur' },
        ],
        'eur',
      ),
    ).toEqual({
      amount: 350,
      currency: 'eur',
    });
  });

  it('refuses to mix currencies', () => {
    expect(() => sumMoney([{ amount: 1, currency: 'usd' }], 'eur')).toThrow(/cannot add usd/);
  });
});

describe('moneySchema', () => {
  it('accepts integer minor units with a lowercase code', () => {
    expect(moneySchema.parse({ amount: 1250, currency: 'eur' })).toEqual({
      amount: 1250,
      currency: 'eur',
    });
  });

  it('refuses floats, negatives, upper-case codes and three-decimal amounts Stripe cannot charge', () => {
    expect(moneySchema.safeParse({ amount: 12.5, currency: 'eur' }).success).toBe(false);
    expect(moneySchema.safeParse({ amount: -1, currency: 'eur' }).success).toBe(false);
    expect(moneySchema.safeParse({ amount: 100, currency: 'EUR' }).success).toBe(false);
    expect(moneySchema.safeParse({ amount: 1235, currency: 'kwd' }).success).toBe(false);
    expect(moneySchema.safeParse({ amount: 1230, currency: 'kwd' }).success).toBe(true);
  });
});
