import { VitrineError } from '@vitrine/shared';
import type { Config } from '../config.js';

/** One physical line of a cart, as the shipping rate sees it. */
export interface ShippingLine {
  quantity: number;
  /** Weight of one unit. */
  weightGrams: number;
  /** Line total (unit price × quantity) in minor units of the store currency. */
  amount: number;
}

export interface ShippingQuote {
  amount: number;
  label: string;
}

/**
 * Prices shipping for the physical lines of an order, from the store's configuration only.
 *
 * - The country must be one the store serves, else `shipping_unavailable` (422).
 * - `flat`: one amount per order; `per_item`: an amount per unit; `weight`: the first band
 *   whose `maxGrams` holds the total weight (heavier than the last band is unavailable).
 * - When the goods subtotal (the sum of the line amounts) reaches `freeOver`, shipping is 0.
 *
 * Callers pass physical lines only; an order without them needs no quote.
 */
export function quoteShipping(
  config: Config,
  lines: readonly ShippingLine[],
  country: string,
): ShippingQuote {
  const shipping = config.shipping;
  const code = country.trim().toUpperCase();
  if (!shipping.countries.includes(code)) {
    throw new VitrineError(
      'shipping_unavailable',
      `This store does not ship to ${code || 'an empty country'}. It ships to ${shipping.countries.join(', ')}.`,
      {
        hint: 'Choose a shipping address in one of the listed countries, or remove the physical items from the cart.',
        details: { country: code, countries: shipping.countries },
      },
    );
  }
  for (const line of lines) {
    if (!Number.isInteger(line.quantity) || line.quantity < 1) {
      throw new RangeError(
        `quoteShipping(): quantity must be a positive integer, got ${line.quantity}`,
      );
    }
    if (!Number.isInteger(line.weightGrams) || line.weightGrams < 0) {
      throw new RangeError(
        `quoteShipping(): weightGrams must be a non-negative integer, got ${line.weightGrams}`,
      );
    }
    if (!Number.isInteger(line.amount) || line.amount < 0) {
      throw new RangeError(
        `quoteShipping(): amount must be a non-negative integer, got ${line.amount}`,
      );
    }
  }

  const subtotal = lines.reduce((sum, line) => sum + line.amount, 0);
  const units = lines.reduce((sum, line) => sum + line.quantity, 0);
  const grams = lines.reduce((sum, line) => sum + line.weightGrams * line.quantity, 0);

  let amount: number;
  let method: string;
  switch (shipping.mode) {
    case 'flat':
      amount = shipping.flatAmount;
      method = 'flat rate';
      break;
    case 'per_item':
      amount = shipping.perItemAmount * units;
      method = `${units} ${units === 1 ? 'item' : 'items'}`;
      break;
    case 'weight': {
      const band = shipping.weightBands.find((b) => grams <= b.maxGrams);
      if (!band) {
        const heaviest = shipping.weightBands.at(-1)?.maxGrams ?? 0;
        throw new VitrineError(
          'shipping_unavailable',
          `The parcel weighs ${formatGrams(grams)}, more than the ${formatGrams(heaviest)} this store ships in one order.`,
          {
            hint: 'Split the order into smaller ones, or contact the store.',
            details: { country: code, weightGrams: grams, maxGrams: heaviest },
          },
        );
      }
      amount = band.amount;
      method = `${formatGrams(grams)}, up to ${formatGrams(band.maxGrams)}`;
      break;
    }
  }

  // The free threshold compares the goods only, never goods plus shipping.
  if (shipping.freeOver !== undefined && lines.length > 0 && subtotal >= shipping.freeOver) {
    return { amount: 0, label: `Shipping to ${code} (free)` };
  }
  return { amount, label: `Shipping to ${code} (${method})` };
}

function formatGrams(grams: number): string {
  return grams >= 1000 ? `${Number((grams / 1000).toFixed(2))} kg` : `${grams} g`;
}
