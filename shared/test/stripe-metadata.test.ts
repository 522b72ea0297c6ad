import { describe, expect, it } from 'vitest';
import { checkMetadata, fitMetadataValue, METADATA_LIMITS } from '../src/stripe-metadata.js';

describe('checkMetadata()', () => {
  it('accepts the order metadata Vitrine writes', () => {
    expect(
      checkMetadata({
        order_id: 'ord_x',
        fulfillment_type: 'digital_download',
        product_type: 'digital',
      }),
    ).toEqual([]);
  });

  it('reports too many keys, long keys, long values and brackets', () => {
    const many = Object.fromEntries(Array.from({ length: 51 }, (_, i) => [`k${i}`, 'v']));
    expect(checkMetadata(many)).toEqual([expect.stringMatching(/51 keys/)]);
    expect(checkMetadata({ ['k'.repeat(41)]: 'v' })[0]).toMatch(/longer than 40/);
    expect(checkMetadata({ note: 'x'.repeat(501) })[0]).toMatch(/longer than 500/);
    expect(checkMetadata({ 'a[b]': 'v' })[0]).toMatch(/square brackets/);
  });
});

describe('fitMetadataValue()', () => {
  it('cuts long values to the limit', () => {
    const fitted = fitMetadataValue('y'.repeat(900));
    expect(fitted).toHaveLength(METADATA_LIMITS.maxValueLength);
    expect(checkMetadata({ note: fitted })).toEqual([]);
  });
});
