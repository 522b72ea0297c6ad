import { describe, expect, it } from 'vitest';
import { inputToMoney, moneyToInput } from '../../../src/renderer/lib/price.js';

describe('inputToMoney()', () => {
  it.each([
    ['12.50', 'eur', 1250],
    ['12.5', 'eur', 1250],
    ['12', 'usd', 1200],
    ['0.01', 'usd', 1],
    ['19.99', 'usd', 1999],
    ['12,50', 'eur', 1250],
    ['  7.05 ', 'gbp', 705],
    ['1500', 'jpy', 1500],
    ['1.234', 'kwd', 1234],
    ['0.5', 'kwd', 500],
    ['0', 'usd', 0],
    ['1.10', 'USD', 110],
  ])('turns "%s" %s into %i minor units', (input, currency, amount) => {
    expect(inputToMoney(input, currency)).toEqual({
      ok: true,
      money: { amount, currency: currency.toLowerCase() },
    });
  });

  it.each([
    ['12.345', 'eur', /2 decimal places/],
    ['12.5', 'jpy', /no minor unit/],
    ['1.2345', 'kwd', /3 decimal places/],
    ['-5', 'usd', /plain number/],
    ['1,234.50', 'usd', /plain number/],
    ['12e3', 'usd', /plain number/],
    ['', 'usd', /Enter a price/],
    ['12', 'eu', /three-letter/],
  ])('refuses "%s" %s', (input, currency, message) => {
    const result = inputToMoney(input, currency);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error).toMatch(message);
  });

  it('never drifts like floating point does (0.1 + 0.2, 19.99 × 100)', () => {
    expect(inputToMoney('0.30', 'usd')).toEqual({
      ok: true,
      money: { amount: 30, currency: 'usd' },
    });
    expect(inputToMoney('4.35', 'usd')).toEqual({
      ok: true,
      money: { amount: 435, currency: 'usd' },
    });
    expect(inputToMoney('1.005', 'bhd')).toEqual({
      ok: true,
      money: { amount: 1005, currency: 'bhd' },
    });
  });
});

describe('moneyToInput()', () => {
  it.each([
    [1250, 'eur', '12.50'],
    [5, 'usd', '0.05'],
    [0, 'usd', '0.00'],
    [1500, 'jpy', '1500'],
    [1234, 'kwd', '1.234'],
    [7, 'kwd', '0.007'],
  ])('shows %i %s as "%s"', (amount, currency, text) => {
    expect(moneyToInput({ amount, currency })).toBe(text);
  });

  it('round-trips with inputToMoney()', () => {
    for (const [amount, currency] of [
      [1, 'usd'],
      [99999, 'eur'],
      [42, 'jpy'],
      [1001, 'omr'],
    ] as const) {
      expect(inputToMoney(moneyToInput({ amount, currency }), currency)).toEqual({
        ok: true,
        money: { amount, currency },
      });
    }
  });
});
