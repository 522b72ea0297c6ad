/**
 * Stripe's metadata limits and the keys Vitrine writes on PaymentIntents and Checkout
 * Sessions. The order's lines live in the database; metadata only points back to the order.
 * @see https://docs.stripe.com/metadata#data
 */
export const METADATA_LIMITS = { maxKeys: 50, maxKeyLength: 40, maxValueLength: 500 } as const;

export const FULFILLMENT_TYPES = [
  'digital_download',
  'physical_shipping',
  'digital_and_physical',
] as const;
export type FulfillmentType = (typeof FULFILLMENT_TYPES)[number];

export interface OrderMetadata {
  order_id: string;
  fulfillment_type: FulfillmentType;
  /** `digital`, `physical`, `hybrid`, or `mixed` when the cart holds several types. */
  product_type: string;
  [key: string]: string;
}

/** Problems with a metadata object against Stripe's limits; empty when it fits. */
export function checkMetadata(metadata: Record<string, string>): string[] {
  const problems: string[] = [];
  const keys = Object.keys(metadata);
  if (keys.length > METADATA_LIMITS.maxKeys) {
    problems.push(`metadata has ${keys.length} keys; Stripe allows ${METADATA_LIMITS.maxKeys}`);
  }
  for (const key of keys) {
    if (key.length > METADATA_LIMITS.maxKeyLength) {
      problems.push(
        `metadata key "${key.slice(0, 20)}…" is longer than ${METADATA_LIMITS.maxKeyLength} characters`,
      );
    }
    if (key.includes('[') || key.includes(']')) {
      problems.push(`metadata key "${key}" may not contain square brackets`);
    }
    const value = metadata[key] ?? '';
    if (value.length > METADATA_LIMITS.maxValueLength) {
      problems.push(
        `metadata value of "${key}" is longer than ${METADATA_LIMITS.maxValueLength} characters`,
      );
    }
  }
  return problems;
}

/** Cuts a free-text value so it fits a metadata value, marking the cut. */
export function fitMetadataValue(value: string): string {
  const max = METADATA_LIMITS.maxValueLength;
  return value.length <= max ? value : `${value.slice(0, max - 1)}…`;
}
