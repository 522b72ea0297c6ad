import { describe, expect, it } from 'vitest';
import { isSafeExternalUrl } from '../../src/main/links.js';

describe('isSafeExternalUrl()', () => {
  it.each([
    'https://tracking.example.com/parcel?id=123',
    'http://127.0.0.1:3000/products/vase',
    'https://www.dhl.de/en/privatkunden/pakete-empfangen/verfolgen.html?piececode=00340434',
  ])('lets %s open in the browser', (url) => {
    expect(isSafeExternalUrl(url)).toBe(true);
  });

  it.each([
    ['file:///etc/passwd', 'file: reads local files'],
    ['javascript:alert(1)', 'javascript: runs code'],
    ['vitrine://settings', 'a custom scheme may start another app'],
    ['ms-msdt:/id PCWDiagnostic', 'a Windows protocol handler'],
    ['smb://server/share', 'a network share'],
    ['data:text/html,<script>alert(1)</script>', 'a data: page'],
    ['https://user:secret@example.com/', 'embedded credentials'],
    ['not a url', 'text that is not a URL'],
    ['//example.com/path', 'a scheme-relative link'],
    ['', 'an empty string'],
  ])('refuses %s (%s)', (url) => {
    expect(isSafeExternalUrl(url)).toBe(false);
  });

  it('refuses values that are not strings', () => {
    expect(isSafeExternalUrl(undefined)).toBe(false);
    expect(isSafeExternalUrl({ href: 'https://example.com' })).toBe(false);
  });

  it('refuses absurdly long links', () => {
    expect(isSafeExternalUrl(`https://example.com/${'a'.repeat(3000)}`)).toBe(false);
  });
});
