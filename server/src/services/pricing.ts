import crypto from 'node:crypto';
import {
  VitrineError,
  formatMoney,
  minimumChargeAmount,
  type CheckoutRequest,
  type FulfillmentType,
  type Money,
  type ProductType,
  type ShippingAddress,
} from '@vitrine/shared';
import type { AppContext } from '../context.js';
import { getProductsByIds, type ProductRow } from './catalog.js';
import { quoteShipping } from './shipping.js';

/**
 * Stripe's largest single charge for most currencies is 99,999,999 minor units (999,999.99 in
 * a two-decimal currency). Larger carts are refused here instead of failing at Stripe.
 * @see https://docs.stripe.com/currencies#minimum-and-maximum-charge-amounts
 */
export const MAXIMUM_CHARGE_AMOUNT = 99_999_999;

/** One product line, priced from the catalog. */
export interface PricedLine {
  kind: 'product';
  productId: string;
  name: string;
  productType: ProductType;
  quantity: number;
  unitAmount: number;
  amount: number;
  /** The model file a digital or hybrid line grants; null for physical goods. */
  modelId: string | null;
  weightGrams: number;
}

export interface ShippingLine {
  kind: 'shipping';
  name: string;
  amount: number;
}

/** A cart priced by the server. The browser's numbers never get here. */
export interface PricedOrder {
  currency: string;
  lines: PricedLine[];
  shipping: ShippingLine | null;
  total: Money;
  fulfillmentType: FulfillmentType;
  /** The single type of all lines, or `mixed`. */
  productType: ProductType | 'mixed';
  email: string;
  shippingAddress: ShippingAddress | null;
  /** sha256 of everything the shopper would be charged for; part of the idempotency key. */
  contentHash: string;
}

/**
 * The order-level fulfilment type: only digital lines → `digital_download`, only physical →
 * `physical_shipping`, anything else (a hybrid line, or a mix) → `digital_and_physical`.
 */
export function fulfillmentTypeFor(types: readonly ProductType[]): FulfillmentType {
  if (types.length === 0)
    throw new RangeError('fulfillmentTypeFor(): an order needs at least one line');
  if (types.every((t) => t === 'digital')) return 'digital_download';
  if (types.every((t) => t === 'physical')) return 'physical_shipping';
  return 'digital_and_physical';
}

/** The single product type of all lines, or `mixed`. */
export function productTypeFor(types: readonly ProductType[]): ProductType | 'mixed' {
  const unique = new Set(types);
  return unique.size === 1 ? [...unique][0]! : 'mixed';
}

/** True for lines that ship a physical object (physical and hybrid products). */
export function shipsPhysically(type: ProductType): boolean {
  return type !== 'digital';
}

/** True for lines that grant a model download (digital and hybrid products). */
export function grantsDownload(type: ProductType): boolean {
  return type !== 'physical';
}

/**
 * Prices a checkout request from the catalog only.
 *
 * - Lines naming the same product are merged.
 * - A digital product is a licence per order: its quantity is clamped to 1 (the total the
 *   server answers with shows it). Hybrid products keep their quantity, for the physical part.
 * - Unknown products are 404, inactive or archived ones 400, each naming the product.
 * - Physical and hybrid lines need a shipping address, and add a `shipping` line from
 *   `quoteShipping` (which may be 0 above the free-shipping threshold).
 * - The total must reach Stripe's minimum charge for the currency (422 `amount_too_small`).
 */
export function priceOrder(context: AppContext, request: CheckoutRequest): PricedOrder {
  const { config, db } = context;
  const currency = config.currency;

  const quantities = new Map<string, number>();
  for (const item of request.items) {
    quantities.set(item.productId, (quantities.get(item.productId) ?? 0) + item.quantity);
  }
  const rows = new Map(getProductsByIds(db, [...quantities.keys()]).map((row) => [row.id, row]));

  const lines: PricedLine[] = [];
  for (const [productId, wanted] of quantities) {
    const row = rows.get(productId);
    if (!row) {
      throw new VitrineError(
        'not_found',
        `There is no product "${productId}" in this store. Remove it from the cart and try again.`,
        {
          details: { productId },
        },
      );
    }
    lines.push(priceLine(row, wanted, currency));
  }

  const physical = lines.filter((line) => shipsPhysically(line.productType));
  let shipping: ShippingLine | null = null;
  if (physical.length > 0) {
    if (!request.shippingAddress) {
      throw new VitrineError(
        'invalid_request',
        `The cart holds goods that are shipped (${physical.map((l) => `"${l.name}"`).join(', ')}), so a shippingAddress is needed.`,
        {
          details: [
            { path: 'shippingAddress', message: 'required for physical and hybrid products' },
          ],
        },
      );
    }
    const quote = quoteShipping(
      config,
      physical.map((l) => ({ quantity: l.quantity, weightGrams: l.weightGrams, amount: l.amount })),
      request.shippingAddress.country,
    );
    shipping = { kind: 'shipping', name: quote.label, amount: quote.amount };
  }

  const total = lines.reduce((sum, line) => sum + line.amount, 0) + (shipping?.amount ?? 0);
  if (!Number.isSafeInteger(total) || total > MAXIMUM_CHARGE_AMOUNT) {
    throw new VitrineError(
      'invalid_request',
      `The order total is more than Stripe accepts in one payment (${formatMoney({ amount: MAXIMUM_CHARGE_AMOUNT, currency })}). Split it into smaller orders.`,
    );
  }
  const minimum = minimumChargeAmount(currency);
  if (total < minimum) {
    throw new VitrineError(
      'amount_too_small',
      `The order total of ${formatMoney({ amount: total, currency })} is below the smallest amount a card payment can take (${formatMoney({ amount: minimum, currency })}). Add something to the cart to continue.`,
      { details: { total, minimum, currency } },
    );
  }

  const types = lines.map((line) => line.productType);
  const shippingAddress = physical.length > 0 ? (request.shippingAddress ?? null) : null;
  const priced: Omit<PricedOrder, 'contentHash'> = {
    currency,
    lines,
    shipping,
    total: { amount: total, currency },
    fulfillmentType: fulfillmentTypeFor(types),
    productType: productTypeFor(types),
    email: request.email.trim(),
    shippingAddress,
  };
  return { ...priced, contentHash: hashContent(priced) };
}

function priceLine(row: ProductRow, wanted: number, currency: string): PricedLine {
  if (row.active !== 1 || row.archived_at !== null) {
    throw new VitrineError(
      'invalid_request',
      `"${row.name}" is no longer for sale. Remove it from the cart and try again.`,
      {
        details: { productId: row.id },
      },
    );
  }
  if (row.currency !== currency) {
    throw new VitrineError(
      'invalid_request',
      `"${row.name}" is priced in ${row.currency.toUpperCase()}, but this store takes payments in ${currency.toUpperCase()}. The owner needs to fix its price; remove it from the cart for now.`,
      { details: { productId: row.id } },
    );
  }
  if (grantsDownload(row.type) && !row.model_id) {
    throw new VitrineError(
      'invalid_request',
      `"${row.name}" cannot be bought yet because its model file has not been uploaded. Remove it from the cart and try again later.`,
      { details: { productId: row.id } },
    );
  }
  // A download is a licence per order; buying it twice in one order would only charge twice.
  const quantity = row.type === 'digital' ? 1 : wanted;
  return {
    kind: 'product',
    productId: row.id,
    name: row.name,
    productType: row.type,
    quantity,
    unitAmount: row.price_amount,
    amount: row.price_amount * quantity,
    modelId: grantsDownload(row.type) ? row.model_id : null,
    weightGrams: row.weight_grams ?? 0,
  };
}

/**
 * Everything that decides what the shopper pays and where it goes, hashed. Two checkout calls
 * for different carts, totals, emails or addresses never share a hash, so they never share an
 * idempotency key at Stripe either.
 */
function hashContent(priced: Omit<PricedOrder, 'contentHash'>): string {
  const canonical = JSON.stringify({
    currency: priced.currency,
    lines: priced.lines.map((l) => [l.productId, l.quantity, l.unitAmount, l.amount]),
    shipping: priced.shipping ? [priced.shipping.name, priced.shipping.amount] : null,
    total: priced.total.amount,
    email: priced.email.toLowerCase(),
    address: priced.shippingAddress
      ? [
          priced.shippingAddress.name,
          priced.shippingAddress.line1,
          priced.shippingAddress.line2 ?? '',
          priced.shippingAddress.city,
          priced.shippingAddress.state ?? '',
          priced.shippingAddress.postalCode,
          priced.shippingAddress.country,
        ]
      : null,
  });
  return crypto.createHash('sha256').update(canonical).digest('hex');
}
