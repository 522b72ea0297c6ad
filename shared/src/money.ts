/**
 * Money is always an integer amount of the currency's minor unit and a lowercase ISO 4217
 * code, as Stripe takes it. Format only for display, with `Intl.NumberFormat`. The zod schema
 * lives in schemas.ts, so that code which only formats money does not pull zod into a page.
 */
export interface Money {
  amount: number;
  currency: string;
}

/**
 * Currencies whose minor unit is not 1/100.
 * @see https://docs.stripe.com/currencies#zero-decimal
 * @see https://docs.stripe.com/currencies#three-decimal
 */
const ZERO_DECIMAL = new Set([
  'bif',
  'clp',
  'djf',
  'gnf',
  'jpy',
  'kmf',
  'krw',
  'mga',
  'pyg',
  'rwf',
  'ugx',
  'vnd',
  'vuv',
  'xaf',
  'xof',
  'xpf',
]);
const THREE_DECIMAL = new Set(['bhd', 'jod', 'kwd', 'omr', 'tnd']);

/** Number of decimal places in the currency's minor unit (0, 2 or 3). */
export function currencyExponent(currency: string): number {
  const code = currency.toLowerCase();
  if (ZERO_DECIMAL.has(code)) return 0;
  if (THREE_DECIMAL.has(code)) return 3;
  return 2;
}

export function isZeroDecimal(currency: string): boolean {
  return currencyExponent(currency) === 0;
}

/**
 * Smallest charge Stripe accepts per settlement currency, in minor units. Currencies not
 * listed fall back to the equivalent of about 0.50 USD, which the server cannot convert, so
 * it uses 50 minor units for two-decimal and 50 units for zero-decimal currencies.
 * @see https://docs.stripe.com/currencies#minimum-and-maximum-charge-amounts
 */
const MINIMUM_CHARGE: Record<string, number> = {
  usd: 50,
  aed: 200,
  aud: 50,
  bgn: 100,
  brl: 50,
  cad: 50,
  chf: 50,
  czk: 1500,
  dkk: 250,
  eur: 50,
  gbp: 30,
  hkd: 400,
  huf: 17500,
  inr: 50,
  jpy: 50,
  mxn: 1000,
  myr: 200,
  nok: 300,
  nzd: 50,
  pln: 200,
  ron: 200,
  sek: 300,
  sgd: 50,
  thb: 1000,
};

export function minimumChargeAmount(currency: string): number {
  const code = currency.toLowerCase();
  const listed = MINIMUM_CHARGE[code];
  if (listed !== undefined) return listed;
  // Three-decimal currencies must also end in 0 at Stripe; 500 is 0.500 of the major unit.
  return currencyExponent(code) === 3 ? 500 : 50;
}

/** Turns a decimal major-unit string such as "12.50" into minor units without float error. */
export function toMinorUnits(major: string, currency: string): number {
  const exponent = currencyExponent(currency);
  const match = /^(\d+)(?:\.(\d+))?$/.exec(major.trim());
  if (!match) throw new RangeError(`toMinorUnits(): "${major}" is not a plain decimal amount`);
  const whole = match[1] ?? '0';
  const fraction = match[2] ?? '';
  if (fraction.length > exponent) {
    throw new RangeError(
      `toMinorUnits(): ${currency.toUpperCase()} has ${exponent} decimal places, "${major}" has ${fraction.length}`,
    );
  }
  return Number(whole + fraction.padEnd(exponent, '0'));
}

/** Minor units to a decimal major-unit number, for `Intl.NumberFormat` only. */
export function toMajorUnits(amount: number, currency: string): number {
  return amount / 10 ** currencyExponent(currency);
}

/** Formats money for people, e.g. `formatMoney({amount: 1250, currency: 'eur'}, 'en')` → "€12.50". */
export function formatMoney(money: Money, locale = 'en'): string {
  const exponent = currencyExponent(money.currency);
  return new Intl.NumberFormat(locale, {
    style: 'currency',
    currency: money.currency.toUpperCase(),
    minimumFractionDigits: exponent,
    maximumFractionDigits: exponent,
  }).format(toMajorUnits(money.amount, money.currency));
}

/** Adds amounts of one currency; refuses to mix currencies. */
export function sumMoney(items: readonly Money[], currency: string): Money {
  let amount = 0;
  for (const item of items) {
    if (item.currency !== currency) {
      throw new RangeError(`sumMoney(): cannot add ${item.currency} to ${currency}`);
    }
    amount += item.amount;
  }
  if (!Number.isSafeInteger(amount))
    throw new RangeError('sumMoney(): total is not a safe integer');
  return { amount, currency };
}
