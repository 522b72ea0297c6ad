import { currencyExponent, toMinorUnits, type Money } from '@vitrine/shared';

/** Currencies offered in the product form; any other ISO 4217 code may be typed in. */
export const COMMON_CURRENCIES = ['usd', 'eur', 'gbp', 'cad', 'aud', 'chf', 'sek', 'jpy'] as const;

/**
 * Minor units to the text shown in a price field, without floating point: 1250 EUR → "12.50",
 * 500 JPY → "500", 1234 KWD → "1.234".
 */
export function moneyToInput(money: Money): string {
  const exponent = currencyExponent(money.currency);
  if (exponent === 0) return String(money.amount);
  const digits = String(money.amount).padStart(exponent + 1, '0');
  return `${digits.slice(0, -exponent)}.${digits.slice(-exponent)}`;
}

export type PriceParse = { ok: true; money: Money } | { ok: false; error: string };

/**
 * A price typed by a person to money in minor units. Accepts "12", "12.5", "12.50" and a
 * decimal comma ("12,50"); refuses more decimals than the currency has, negatives and
 * thousands separators (ambiguous between locales).
 */
export function inputToMoney(input: string, currency: string): PriceParse {
  const code = currency.trim().toLowerCase();
  if (!/^[a-z]{3}$/.test(code)) {
    return { ok: false, error: 'Choose a currency (a three-letter ISO 4217 code such as EUR).' };
  }
  let text = input.trim();
  if (text === '') return { ok: false, error: 'Enter a price.' };
  if (/^\d+,\d+$/.test(text)) text = text.replace(',', '.');
  if (!/^\d+(\.\d+)?$/.test(text)) {
    return {
      ok: false,
      error: 'Enter the price as a plain number such as 12.50, without separators.',
    };
  }
  const exponent = currencyExponent(code);
  const decimals = text.split('.')[1]?.length ?? 0;
  if (decimals > exponent) {
    return {
      ok: false,
      error:
        exponent === 0
          ? `${code.toUpperCase()} has no minor unit: enter a whole number.`
          : `${code.toUpperCase()} has ${exponent} decimal places; "${input.trim()}" has ${decimals}.`,
    };
  }
  const amount = toMinorUnits(text, code);
  if (!Number.isSafeInteger(amount)) return { ok: false, error: 'The price is too large.' };
  return { ok: true, money: { amount, currency: code } };
}
