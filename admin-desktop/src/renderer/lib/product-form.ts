import {
  productCreateSchema,
  productUpdateSchema,
  slugSchema,
  type Product,
  type ProductCreate,
  type ProductType,
  type ProductUpdate,
} from '@vitrine/shared';
import { inputToMoney, moneyToInput } from './price.js';

/** What the product form edits: every field as the person typed it. */
export interface ProductFormState {
  name: string;
  slug: string;
  description: string;
  type: ProductType;
  price: string;
  currency: string;
  active: boolean;
  sku: string;
  weightGrams: string;
  /** Empty means unlimited stock. */
  stock: string;
  license: string;
}

export type FieldErrors = Partial<Record<keyof ProductFormState, string>>;

export function emptyForm(currency = 'usd'): ProductFormState {
  return {
    name: '',
    slug: '',
    description: '',
    type: 'digital',
    price: '',
    currency,
    active: true,
    sku: '',
    weightGrams: '',
    stock: '',
    license: '',
  };
}

export function formFromProduct(product: Product): ProductFormState {
  return {
    name: product.name,
    slug: product.slug,
    description: product.description,
    type: product.type,
    price: moneyToInput(product.price),
    currency: product.price.currency,
    active: product.active,
    sku: product.physical?.sku ?? '',
    weightGrams: product.physical ? String(product.physical.weightGrams) : '',
    stock: product.physical?.stock == null ? '' : String(product.physical.stock),
    license: product.license ?? '',
  };
}

/** Suggests a slug from a name: "Ceramic Vase #2" → "ceramic-vase-2". */
export function slugify(name: string): string {
  return name
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 80)
    .replace(/-+$/g, '');
}

type Checked<T> = { ok: true; value: T } | { ok: false; errors: FieldErrors };

function wholeNumber(
  text: string,
  field: string,
  errors: FieldErrors,
  key: keyof ProductFormState,
) {
  const value = text.trim();
  if (!/^\d+$/.test(value)) {
    errors[key] = `${field} must be a whole number of zero or more.`;
    return 0;
  }
  return Number(value);
}

/** Checks the form and builds the fields both create and update share. */
function readForm(state: ProductFormState): Checked<ProductCreate> {
  const errors: FieldErrors = {};
  const name = state.name.trim();
  if (!name) errors.name = 'Give the product a name.';
  const slug = state.slug.trim();
  if (slug && !slugSchema.safeParse(slug).success) {
    errors.slug = 'Use lowercase letters, digits and single hyphens, such as "ceramic-vase".';
  }
  const price = inputToMoney(state.price, state.currency);
  if (!price.ok) errors.price = price.error;

  let physical: ProductCreate['physical'];
  if (state.type !== 'digital') {
    const sku = state.sku.trim();
    if (!sku) errors.sku = 'A physical product needs a SKU.';
    const weightGrams = wholeNumber(state.weightGrams, 'Weight', errors, 'weightGrams');
    const stock =
      state.stock.trim() === '' ? null : wholeNumber(state.stock, 'Stock', errors, 'stock');
    physical = { sku, weightGrams, stock };
  }
  if (Object.keys(errors).length || !price.ok) return { ok: false, errors };

  const candidate = {
    name,
    description: state.description,
    type: state.type,
    price: price.money,
    active: state.active,
    ...(slug ? { slug } : {}),
    ...(physical ? { physical } : {}),
    ...(state.license.trim() ? { license: state.license.trim() } : {}),
  };
  const parsed = productCreateSchema.safeParse(candidate);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const key = (issue.path.at(-1) ?? 'name') as keyof ProductFormState;
      errors[key in state ? key : 'name'] = issue.message;
    }
    return { ok: false, errors };
  }
  return { ok: true, value: parsed.data };
}

/** The body of `POST /api/admin/products`, or the errors to show next to the fields. */
export function toCreatePayload(state: ProductFormState): Checked<ProductCreate> {
  return readForm(state);
}

/**
 * The body of `PATCH /api/admin/products/:id`: only what changed. Turning a physical product
 * digital sends `physical: null` so the server drops the physical fields.
 */
export function toUpdatePayload(
  state: ProductFormState,
  original: Product,
): Checked<ProductUpdate> {
  const read = readForm(state);
  if (!read.ok) return read;
  const next = read.value;
  const patch: ProductUpdate = {};
  if (next.name !== original.name) patch.name = next.name;
  if (next.description !== original.description) patch.description = next.description;
  if (next.type !== original.type) patch.type = next.type;
  if (
    next.price.amount !== original.price.amount ||
    next.price.currency !== original.price.currency
  ) {
    patch.price = next.price;
  }
  if (next.slug && next.slug !== original.slug) patch.slug = next.slug;
  if (next.active !== original.active) patch.active = next.active;
  const before = original.physical ?? null;
  const after = next.physical ?? null;
  const samePhysical =
    before === after ||
    (before !== null &&
      after !== null &&
      before.sku === after.sku &&
      before.weightGrams === after.weightGrams &&
      before.stock === after.stock);
  if (!samePhysical) patch.physical = after;
  const license = next.license ?? null;
  if (license !== (original.license ?? null)) patch.license = license;
  const parsed = productUpdateSchema.safeParse(patch);
  if (!parsed.success) return { ok: false, errors: { name: parsed.error.issues[0]?.message } };
  return { ok: true, value: parsed.data };
}
