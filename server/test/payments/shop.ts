import type { CheckoutRequest, Product, ProductCreate } from '@vitrine/shared';
import { startTestServer, type TestServer } from '../helpers/app.js';
import { boxGlb } from '../helpers/glb.js';
import { startStripeFake, type StripeFake } from '../helpers/stripe-fake.js';

/**
 * A store wired to the Stripe API fake: the real app on loopback with test keys, its SDK
 * pointed at the fake through STRIPE_API_BASE, and the fake's webhooks pointed at the app.
 * Products are made through the admin API, as the owner makes them.
 */
export interface Shop {
  server: TestServer;
  fake: StripeFake;
  close(): Promise<void>;
}

export const TEST_KEYS = {
  STRIPE_SECRET_KEY: 'sk_test_vitrine_payments',
  STRIPE_PUBLISHABLE_KEY: 'pk_test_vitrine_payments',
} as const;

export async function startShop(env: Record<string, string | undefined> = {}): Promise<Shop> {
  const fake = await startStripeFake({ secretKey: TEST_KEYS.STRIPE_SECRET_KEY });
  const server = await startTestServer({
    ...TEST_KEYS,
    STRIPE_WEBHOOK_SECRET: fake.webhookSecret,
    STRIPE_API_BASE: fake.url,
    STORE_CURRENCY: 'eur',
    ...env,
  });
  fake.webhookUrl = `${server.url}/api/webhooks/stripe`;
  return {
    server,
    fake,
    async close() {
      await server.close();
      await fake.close();
    },
  };
}

type ProductInput = Omit<ProductCreate, 'price' | 'description' | 'active'> & {
  price: number;
  description?: string;
  active?: boolean;
  /** A GLB to upload; digital and hybrid products get the generated box by default. */
  model?: Uint8Array | false;
};

/** Creates a product through the admin API (and uploads its model), as the desktop app does. */
export async function createProduct(server: TestServer, input: ProductInput): Promise<Product> {
  const { model, price, ...fields } = input;
  const res = await server.request('/api/admin/products', {
    method: 'POST',
    admin: true,
    json: {
      description: '',
      ...fields,
      price: { amount: price, currency: server.config.currency },
    },
  });
  if (res.status !== 201) throw new Error(`createProduct(): ${res.status} ${await res.text()}`);
  const product = (await res.json()) as Product;
  if (input.type === 'physical' || model === false) return product;

  const upload = await server.request(`/api/admin/products/${product.id}/model`, {
    method: 'PUT',
    admin: true,
    headers: { 'content-type': 'model/gltf-binary' },
    body: model ?? boxGlb(),
  });
  if (upload.status !== 200)
    throw new Error(`createProduct(): model upload ${upload.status} ${await upload.text()}`);
  return product;
}

export const ADDRESS = {
  name: 'Ada Lovelace',
  line1: '12 Analytical Row',
  city: 'Berlin',
  postalCode: '10115',
  country: 'DE',
} as const;

export interface CheckoutAnswer {
  orderId: string;
  orderKey: string;
  clientSecret: string;
  publishableKey?: string;
  total: { amount: number; currency: string };
}

/** `POST /api/checkout`; returns the status and the parsed body. */
export async function postCheckout(
  server: TestServer,
  body: Partial<CheckoutRequest> & { items: CheckoutRequest['items'] },
  path = '/api/checkout',
): Promise<{ status: number; body: any }> {
  const res = await server.request(path, {
    method: 'POST',
    json: { email: 'ada@example.com', ...body },
  });
  return { status: res.status, body: await res.json() };
}

/** `GET /api/orders/:orderId` with the order key. */
export async function getOrder(
  server: TestServer,
  orderId: string,
  orderKey: string,
): Promise<{ status: number; body: any }> {
  const res = await server.request(`/api/orders/${orderId}`, {
    headers: { authorization: `Bearer ${orderKey}` },
  });
  return { status: res.status, body: await res.json() };
}

/** The PaymentIntent id behind a client secret (`pi_…_secret_…`). */
export function intentIdOf(clientSecret: string): string {
  return clientSecret.split('_secret_')[0]!;
}

/** Polls `check` until it returns a value other than undefined, or fails after `timeoutMs`. */
export async function waitFor<T>(
  check: () => T | undefined | Promise<T | undefined>,
  timeoutMs = 5000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline)
      throw new Error(`waitFor(): condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Rows of a table for one order, straight from the store's SQLite file. */
export function rowsFor(server: TestServer, sql: string, ...params: unknown[]): any[] {
  return server.app.locals.context.db.prepare(sql).all(...params);
}

export function orderRow(server: TestServer, orderId: string): any {
  return server.app.locals.context.db.prepare('SELECT * FROM orders WHERE id = ?').get(orderId);
}

/**
 * The two products most payment tests sell: a digital "Box model" (12.00, with the generated box
 * uploaded) and a physical "Box print" (25.00, 400 g) with `printStock` units (null: unlimited).
 */
export async function createModelAndPrint(
  server: TestServer,
  printStock: number | null,
): Promise<{ model: Product; print: Product }> {
  const model = await createProduct(server, { name: 'Box model', type: 'digital', price: 1200 });
  const print = await createProduct(server, {
    name: 'Box print',
    type: 'physical',
    price: 2500,
    physical: { sku: 'PRINT-1', weightGrams: 400, stock: printStock },
  });
  return { model, print };
}
