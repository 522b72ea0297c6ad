/**
 * Order keys prove who may read an order. The server stores only their hash, so the browser
 * keeps them: in localStorage for this browser, and in the `#key=` fragment of the order link,
 * which browsers never send to a server, so the key stays out of access logs and Referer headers.
 */
const STORAGE_KEY = 'vitrine:order-keys:v1';
const LAST_CHECKOUT_KEY = 'vitrine:last-checkout:v1';
const KEEP = 20;

type KeyMap = Record<string, { key: string; at: number }>;

function read(): KeyMap {
  try {
    const value = JSON.parse(window.localStorage.getItem(STORAGE_KEY) ?? '{}') as unknown;
    return value && typeof value === 'object' ? (value as KeyMap) : {};
  } catch {
    return {};
  }
}

export function rememberOrderKey(orderId: string, key: string): void {
  const map = read();
  map[orderId] = { key, at: Date.now() };
  const newest = Object.entries(map)
    .sort((a, b) => b[1].at - a[1].at)
    .slice(0, KEEP);
  try {
    window.localStorage.setItem(STORAGE_KEY, JSON.stringify(Object.fromEntries(newest)));
  } catch {
    // Without storage the key survives only in the order link.
  }
}

export function recallOrderKey(orderId: string): string | null {
  return read()[orderId]?.key ?? null;
}

/** The link to an order's page; the key rides in the fragment. */
export function orderPageUrl(orderId: string, key?: string): string {
  const base = `/orders/?id=${encodeURIComponent(orderId)}`;
  return key ? `${base}#key=${encodeURIComponent(key)}` : base;
}

/** Reads `id` from the query and `key` from the fragment of the order page URL. */
export function parseOrderLocation(
  search: string,
  hash: string,
): { orderId: string | null; key: string | null } {
  const orderId = new URLSearchParams(search).get('id');
  const key = new URLSearchParams(hash.replace(/^#/, '')).get('key');
  return { orderId: orderId || null, key: key || null };
}

/** Marks which order the current cart was sent to, so the order page can empty the cart once paid. */
export function rememberCheckout(orderId: string, fingerprint: string): void {
  try {
    window.localStorage.setItem(LAST_CHECKOUT_KEY, JSON.stringify({ orderId, fingerprint }));
  } catch {
    // Not fatal: the cart simply stays filled after payment.
  }
}

export function recallCheckout(): { orderId: string; fingerprint: string } | null {
  try {
    const value = JSON.parse(window.localStorage.getItem(LAST_CHECKOUT_KEY) ?? 'null') as unknown;
    if (value && typeof value === 'object' && 'orderId' in value && 'fingerprint' in value) {
      return value as { orderId: string; fingerprint: string };
    }
  } catch {
    // fall through
  }
  return null;
}

export function forgetCheckout(): void {
  try {
    window.localStorage.removeItem(LAST_CHECKOUT_KEY);
  } catch {
    // ignore
  }
}
