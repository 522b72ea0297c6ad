import { describe, expect, it } from 'vitest';
import { formatBytes, formatCount } from '../../src/lib/format';

describe('formatBytes()', () => {
  it.each([
    [0, '0 bytes'],
    [1023, '1,023 bytes'],
    [1536, '1.5 KB'],
    [120_484, '118 KB'],
    [5 * 1024 ** 2, '5 MB'],
    [2.25 * 1024 ** 3, '2.3 GB'],
  ])('shows %i bytes as "%s"', (bytes, text) => {
    expect(formatBytes(bytes)).toBe(text);
  });
});

describe('formatCount()', () => {
  it('groups thousands for the locale', () => {
    expect(formatCount(1234567)).toBe('1,234,567');
    expect(formatCount(1234567, 'de')).toBe('1.234.567');
  });
});
