import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ADMIN_TOKEN, startTestServer, type TestServer } from '../../../server/test/helpers/app.js';
import { startStripeFake, type StripeFake } from '../../../server/test/helpers/stripe-fake.js';
import { createAdminService, type AdminService } from '../../src/main/service.js';
import { SettingsStore, type SecretBox } from '../../src/main/settings.js';
import type { UploadProgress } from '../../src/common/bridge.js';

export { ADMIN_TOKEN, startTestServer, type TestServer };

/** A safeStorage stand-in that is "unavailable": the token stays in memory, as on a bare Linux. */
export const NO_KEYCHAIN: SecretBox = {
  isEncryptionAvailable: () => false,
  encryptString: () => {
    throw new Error('encryption is unavailable');
  },
  decryptString: () => {
    throw new Error('encryption is unavailable');
  },
};

export interface ServiceHarness {
  service: AdminService;
  settings: SettingsStore;
  progress: UploadProgress[];
  opened: string[];
  userData: string;
  cleanup(): void;
}

/**
 * The main process's service with its real HTTP client and upload streamer, settings in a temp
 * folder, and progress and opened links recorded instead of sent to a window.
 */
export function createServiceHarness(
  options: { timeoutMs?: number; onProgress?: (progress: UploadProgress) => void } = {},
): ServiceHarness {
  const userData = fs.mkdtempSync(path.join(os.tmpdir(), 'vitrine-admin-userdata-'));
  const settings = new SettingsStore(userData, NO_KEYCHAIN);
  const progress: UploadProgress[] = [];
  const opened: string[] = [];
  const service = createAdminService({
    settings,
    emitProgress: (event) => {
      progress.push(event);
      options.onProgress?.(event);
    },
    openExternal: async (url) => {
      opened.push(url);
    },
    timeoutMs: options.timeoutMs,
  });
  return {
    service,
    settings,
    progress,
    opened,
    userData,
    cleanup: () => fs.rmSync(userData, { recursive: true, force: true }),
  };
}

/** A loopback port that nothing listens on: bound, read, then closed. */
export async function closedPort(): Promise<number> {
  const net = await import('node:net');
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as import('node:net').AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/**
 * A store with payments: the real server on loopback with test keys, its Stripe SDK pointed at
 * the Stripe API fake, and the fake's signed webhooks pointed back at the server.
 */
export async function startStoreWithPayments(): Promise<{
  server: TestServer;
  fake: StripeFake;
  close(): Promise<void>;
}> {
  const secretKey = 'sk_test_vitrine_admin_desktop';
  const fake = await startStripeFake({ secretKey });
  const server = await startTestServer({
    STRIPE_SECRET_KEY: secretKey,
    STRIPE_PUBLISHABLE_KEY: 'pk_test_vitrine_admin_desktop',
    STRIPE_WEBHOOK_SECRET: fake.webhookSecret,
    STRIPE_API_BASE: fake.url,
    STORE_CURRENCY: 'eur',
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

export const SHIPPING_ADDRESS = {
  name: 'Ada Lovelace',
  line1: '12 Analytical Row',
  city: 'Berlin',
  postalCode: '10115',
  country: 'DE',
} as const;
