/**
 * The link filter. The renderer may ask main to open a link (a tracking page, the public
 * store); only plain web links go to the system browser. `file:`, `javascript:`, custom
 * schemes and links with embedded credentials could run or reveal something locally.
 */
export function isSafeExternalUrl(value: unknown): boolean {
  if (typeof value !== 'string' || value.length > 2048) return false;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return false;
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return false;
  if (url.username || url.password) return false;
  return url.hostname.length > 0;
}
