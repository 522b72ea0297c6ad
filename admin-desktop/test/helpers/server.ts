import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ADMIN_TOKEN, startTestServer, type TestServer } from '../../../server/test/helpers/app.js';
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
export function createServiceHarness(options: { timeoutMs?: number } = {}): ServiceHarness {
  const userData = fs.mkdtempSync(path.join(os.tmpdir(), 'vitrine-admin-userdata-'));
  const settings = new SettingsStore(userData, NO_KEYCHAIN);
  const progress: UploadProgress[] = [];
  const opened: string[] = [];
  const service = createAdminService({
    settings,
    emitProgress: (event) => progress.push(event),
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
