import { atom, onMount } from 'nanostores';
import type { Money, ProductType } from '@vitrine/shared';

/**
 * The cart, shared by every island through one nanostores atom and kept in localStorage so it
 * survives reloads and follows the shopper across tabs. Prices here are the catalog snapshot's,
 * for display only: the server prices the order again and its total always wins.
 */
export interface CartLine {
  productId: string;
  slug: string;
  name: string;
  type: ProductType;
  unitPrice: Money;
  quantity: number;
  posterUrl: string | null;
  /** Units left when the site was built; null means unlimited or unknown. */
  stock: number | null;
}

export type CartProduct = Omit<CartLine, 'quantity'>;

export const CART_STORAGE_KEY = 'vitrine:cart:v1';
/** The server accepts at most this many of one product per order. */
export const MAX_QUANTITY = 100;
/** The server accepts at most this many lines per order. */
export const MAX_LINES = 50;

/** Digital files are sold once per order; physical and hybrid goods come in quantities. */
export function hasQuantity(type: ProductType): boolean {
  return type !== 'digital';
}

export function isPhysicalLine(line: Pick<CartLine, 'type'>): boolean {
  return line.type !== 'digital';
}

function clampQuantity(line: Pick<CartLine, 'type' | 'stock'>, quantity: number): number {
  if (!hasQuantity(line.type)) return 1;
  const ceiling = Math.min(MAX_QUANTITY, line.stock ?? MAX_QUANTITY);
  return Math.max(1, Math.min(ceiling, Math.floor(quantity)));
}

/** Adds a product, or raises its quantity (digital stays at 1). Returns a new array. */
export function addLine(
  lines: readonly CartLine[],
  product: CartProduct,
  quantity = 1,
): CartLine[] {
  const existing = lines.find((line) => line.productId === product.productId);
  if (existing) {
    return lines.map((line) =>
      line === existing
        ? { ...line, ...product, quantity: clampQuantity(product, line.quantity + quantity) }
        : line,
    );
  }
  if (lines.length >= MAX_LINES) return [...lines];
  return [...lines, { ...product, quantity: clampQuantity(product, quantity) }];
}

export function setLineQuantity(
  lines: readonly CartLine[],
  productId: string,
  quantity: number,
): CartLine[] {
  if (!Number.isFinite(quantity)) return [...lines];
  if (quantity < 1) return removeLine(lines, productId);
  return lines.map((line) =>
    line.productId === productId ? { ...line, quantity: clampQuantity(line, quantity) } : line,
  );
}

export function removeLine(lines: readonly CartLine[], productId: string): CartLine[] {
  return lines.filter((line) => line.productId !== productId);
}

/** The display subtotal of the lines; null when they mix currencies (a stale cart). */
export function cartSubtotal(lines: readonly CartLine[]): Money | null {
  const currency = lines[0]?.unitPrice.currency;
  if (!currency) return null;
  let amount = 0;
  for (const line of lines) {
    if (line.unitPrice.currency !== currency) return null;
    amount += line.unitPrice.amount * line.quantity;
  }
  return { amount, currency };
}

export function cartCount(lines: readonly CartLine[]): number {
  return lines.reduce((sum, line) => sum + line.quantity, 0);
}

/** What POST /api/checkout takes: ids and quantities, never prices. */
export function toCheckoutItems(
  lines: readonly CartLine[],
): { productId: string; quantity: number }[] {
  return lines.map((line) => ({ productId: line.productId, quantity: line.quantity }));
}

/** A stable fingerprint of what is being bought, to notice a cart that changed under a payment. */
export function cartFingerprint(lines: readonly CartLine[]): string {
  return lines
    .map((line) => `${line.productId}x${line.quantity}`)
    .sort()
    .join(',');
}

/** Parses stored JSON into valid lines, dropping anything malformed (old versions, hand edits). */
export function parseStoredCart(raw: string | null): CartLine[] {
  if (!raw) return [];
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    return [];
  }
  if (!Array.isArray(value)) return [];
  const lines: CartLine[] = [];
  for (const item of value) {
    if (!item || typeof item !== 'object') continue;
    const line = item as Partial<CartLine>;
    const price = line.unitPrice;
    if (
      typeof line.productId !== 'string' ||
      typeof line.slug !== 'string' ||
      typeof line.name !== 'string' ||
      (line.type !== 'digital' && line.type !== 'physical' && line.type !== 'hybrid') ||
      !price ||
      !Number.isInteger(price.amount) ||
      typeof price.currency !== 'string' ||
      !Number.isInteger(line.quantity)
    ) {
      continue;
    }
    const stock = typeof line.stock === 'number' ? line.stock : null;
    const clean: CartLine = {
      productId: line.productId,
      slug: line.slug,
      name: line.name,
      type: line.type,
      unitPrice: { amount: price.amount, currency: price.currency },
      quantity: 1,
      posterUrl: typeof line.posterUrl === 'string' ? line.posterUrl : null,
      stock,
    };
    clean.quantity = clampQuantity(clean, line.quantity ?? 1);
    if (!lines.some((l) => l.productId === clean.productId)) lines.push(clean);
  }
  return lines.slice(0, MAX_LINES);
}

export const $cart = atom<CartLine[]>([]);

function storage(): Storage | null {
  try {
    return typeof window === 'undefined' ? null : window.localStorage;
  } catch {
    // Storage can be disabled (privacy settings); the cart then lives for this page only.
    return null;
  }
}

// Loads from localStorage when the first island subscribes, and follows other tabs' changes.
onMount($cart, () => {
  const store = storage();
  if (!store) return;
  $cart.set(parseStoredCart(store.getItem(CART_STORAGE_KEY)));
  const onStorage = (event: StorageEvent) => {
    if (event.key === CART_STORAGE_KEY) $cart.set(parseStoredCart(event.newValue));
  };
  window.addEventListener('storage', onStorage);
  return () => window.removeEventListener('storage', onStorage);
});

function save(lines: CartLine[]): void {
  $cart.set(lines);
  try {
    storage()?.setItem(CART_STORAGE_KEY, JSON.stringify(lines));
  } catch {
    // Quota or privacy mode: keep the in-memory cart.
  }
}

export function addToCart(product: CartProduct, quantity = 1): void {
  save(addLine($cart.get(), product, quantity));
}

export function updateQuantity(productId: string, quantity: number): void {
  save(setLineQuantity($cart.get(), productId, quantity));
}

export function removeFromCart(productId: string): void {
  save(removeLine($cart.get(), productId));
}

export function clearCart(): void {
  save([]);
}
