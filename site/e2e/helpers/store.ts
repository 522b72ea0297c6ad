import type { Product } from '@vitrine/shared';
import { startTestServer, type TestServer } from '../../../server/test/helpers/app.js';
import { waitForPublishIdle } from '../../../server/test/helpers/publish.js';
import { startStripeFake, type StripeFake } from '../../../server/test/helpers/stripe-fake.js';

export const PUBLISHABLE_KEY = 'pk_test_vitrine_e2e_0123456789';
const SECRET_KEY = 'sk_test_vitrine_e2e_0123456789';

export interface TestStore {
  server: TestServer;
  /** The Stripe API fake, when the store takes payments. */
  stripe: StripeFake | null;
  close(): Promise<void>;
}

/**
 * The real server on loopback with its own data folder; with `payments`, Stripe test keys
 * pointing at the Stripe API fake, whose signed webhooks go back to this server.
 */
export async function startStore(
  options: { payments?: boolean; env?: Record<string, string> } = {},
): Promise<TestStore> {
  const stripe = options.payments ? await startStripeFake() : null;
  const server = await startTestServer({
    STORE_NAME: 'Vitrine Test Shop',
    STORE_CURRENCY: 'usd',
    ...(stripe
      ? {
          STRIPE_SECRET_KEY: SECRET_KEY,
          STRIPE_PUBLISHABLE_KEY: PUBLISHABLE_KEY,
          STRIPE_WEBHOOK_SECRET: stripe.webhookSecret,
          STRIPE_API_BASE: stripe.url,
        }
      : {}),
    ...options.env,
  });
  if (stripe) stripe.webhookUrl = `${server.url}/api/webhooks/stripe`;

  return {
    server,
    stripe,
    async close() {
      await server.close();
      await stripe?.close();
    },
  };
}

export async function createProduct(
  server: TestServer,
  body: Record<string, unknown>,
): Promise<Product> {
  const res = await server.request('/api/admin/products', {
    method: 'POST',
    admin: true,
    json: body,
  });
  if (res.status !== 201)
    throw new Error(`creating a product answered ${res.status}: ${await res.text()}`);
  return (await res.json()) as Product;
}

/** Uploads a GLB as the product's model; returns the HTTP status and body. */
export async function uploadModel(
  server: TestServer,
  productId: string,
  bytes: Uint8Array,
): Promise<{ status: number; body: unknown }> {
  const res = await server.request(`/api/admin/products/${productId}/model`, {
    method: 'PUT',
    admin: true,
    headers: { 'content-type': 'model/gltf-binary' },
    // A copy backed by a plain ArrayBuffer, which fetch's BodyInit type accepts.
    body: new Uint8Array(bytes),
  });
  return { status: res.status, body: await res.json().catch(() => null) };
}

/** Publishes the real storefront (site/) and waits for the build; throws with the log when it fails. */
export async function publishSite(server: TestServer, timeoutMs = 280_000): Promise<void> {
  const res = await server.request('/api/admin/publish', { method: 'POST', admin: true });
  if (res.status !== 202) throw new Error(`publishing answered ${res.status}: ${await res.text()}`);
  const status = await waitForPublishIdle(server, timeoutMs);
  if (status.state !== 'succeeded') throw new Error(`the site build failed:\n${status.lastError}`);
}
