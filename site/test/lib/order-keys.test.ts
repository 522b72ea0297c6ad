import { describe, expect, it } from 'vitest';
import { orderPageUrl, parseOrderLocation } from '../../src/lib/order-keys';

describe('orderPageUrl()', () => {
  it('puts the id in the query and the key in the fragment, which browsers never send', () => {
    expect(orderPageUrl('ord_a b', 'k/y+')).toBe('/orders/?id=ord_a%20b#key=k%2Fy%2B');
    expect(orderPageUrl('ord_1')).toBe('/orders/?id=ord_1');
  });
});

describe('parseOrderLocation()', () => {
  it('reads what orderPageUrl wrote', () => {
    const url = new URL(orderPageUrl('ord_1', 'secret+key'), 'http://shop.test');

    expect(parseOrderLocation(url.search, url.hash)).toEqual({
      orderId: 'ord_1',
      key: 'secret+key',
    });
  });

  it('finds no key when the fragment has none, and ignores the query parameters Stripe adds', () => {
    expect(
      parseOrderLocation('?id=ord_1&payment_intent=pi_1&redirect_status=succeeded', ''),
    ).toEqual({
      orderId: 'ord_1',
      key: null,
    });
    expect(parseOrderLocation('', '#key=')).toEqual({ orderId: null, key: null });
  });
});
