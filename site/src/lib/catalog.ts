import fs from 'node:fs';
import { productSchema, type Product } from '@vitrine/shared';

/**
 * The catalog snapshot the server writes before each build (see server/src/services/publish.ts).
 * The site is built from this file instead of calling the API, so a build needs no running
 * server and the published site is a consistent snapshot of one moment of the catalog.
 * Build time only: this module reads the disk and must never be imported by an island.
 */
export interface CatalogExport {
  version: 1;
  generatedAt: string;
  store: {
    name: string;
    currency: string;
    /** ISO 3166-1 alpha-2 codes the shop ships to; the checkout lists only these. */
    shippingCountries: string[];
  };
  products: Product[];
}

const productsSchema = productSchema.array();

/** Validates a parsed catalog export; throws one error listing every problem. */
export function parseCatalogExport(raw: unknown, source = 'the catalog export'): CatalogExport {
  const problems: string[] = [];
  const value = (raw && typeof raw === 'object' ? raw : {}) as Record<string, unknown>;
  const store = (value.store && typeof value.store === 'object' ? value.store : {}) as Record<
    string,
    unknown
  >;
  if (value.version !== 1)
    problems.push(`version: expected 1, got ${JSON.stringify(value.version)}`);
  if (typeof store.name !== 'string' || !store.name.trim())
    problems.push('store.name: a non-empty string is required');
  if (typeof store.currency !== 'string' || !/^[a-z]{3}$/.test(store.currency)) {
    problems.push('store.currency: a lowercase ISO 4217 code such as "usd" is required');
  }
  const countries = store.shippingCountries ?? [];
  if (
    !Array.isArray(countries) ||
    !countries.every((c) => typeof c === 'string' && /^[A-Z]{2}$/.test(c))
  ) {
    problems.push(
      'store.shippingCountries: a list of ISO 3166-1 alpha-2 codes such as "DE" is required',
    );
  }
  const products = productsSchema.safeParse(value.products);
  if (!products.success) {
    for (const issue of products.error.issues)
      problems.push(`products.${issue.path.join('.')}: ${issue.message}`);
  } else {
    const slugs = new Set<string>();
    for (const product of products.data) {
      if (slugs.has(product.slug))
        problems.push(`products: two products share the slug "${product.slug}"`);
      slugs.add(product.slug);
    }
  }
  if (problems.length > 0 || !products.success) {
    throw new Error(`vitrine: ${source} is not valid: ${problems.join('; ')}`);
  }
  return {
    version: 1,
    generatedAt:
      typeof value.generatedAt === 'string' ? value.generatedAt : new Date(0).toISOString(),
    store: {
      name: store.name as string,
      currency: store.currency as string,
      shippingCountries: countries as string[],
    },
    products: products.data,
  };
}

const EMPTY_CATALOG: CatalogExport = {
  version: 1,
  generatedAt: new Date(0).toISOString(),
  store: { name: 'Vitrine', currency: 'usd', shippingCountries: [] },
  products: [],
};

let cached: CatalogExport | undefined;

/** Reads and validates the catalog export named by VITRINE_CATALOG_FILE, once per build. */
export function loadCatalog(): CatalogExport {
  if (cached) return cached;
  const file = process.env.VITRINE_CATALOG_FILE;
  if (!file) {
    console.warn(
      'vitrine: VITRINE_CATALOG_FILE is not set, so this build has an empty catalog. ' +
        'The server sets it when it publishes; set it yourself to build from a catalog export.',
    );
    cached = EMPTY_CATALOG;
    return cached;
  }
  let raw: unknown;
  try {
    raw = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (error) {
    throw new Error(
      `vitrine: cannot read the catalog export at ${file}: ${(error as Error).message}`,
      {
        cause: error,
      },
    );
  }
  cached = parseCatalogExport(raw, `the catalog export at ${file}`);
  return cached;
}

/** Active products only, in the order of the export. */
export function listProducts(): Product[] {
  return loadCatalog().products.filter((product) => product.active);
}
