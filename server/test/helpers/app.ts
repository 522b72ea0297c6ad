import fs from 'node:fs';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { closeApp, createApp, type VitrineApp } from '../../src/app.js';
import { loadConfig, type Config } from '../../src/config.js';

export const ADMIN_TOKEN = 'test-admin-token-0123456789abcdef';

export interface TestServer {
  app: VitrineApp;
  config: Config;
  url: string;
  dataDir: string;
  /** fetch against the server; `admin: true` adds the admin bearer token. */
  request(
    pathname: string,
    init?: RequestInit & { admin?: boolean; json?: unknown },
  ): Promise<Response>;
  close(): Promise<void>;
}

/**
 * Starts the real app on a loopback port with its own data directory (a real SQLite file).
 * `env` adds or overrides environment variables; the default has no Stripe keys.
 */
export async function startTestServer(
  env: Record<string, string | undefined> = {},
  options: { background?: boolean; dataDir?: string } = {},
): Promise<TestServer> {
  const dataDir = options.dataDir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'vitrine-test-'));
  const config = loadConfig({
    NODE_ENV: 'test',
    DATA_DIR: dataDir,
    ADMIN_TOKEN,
    SITE_BUILD: 'off',
    ...env,
  });
  const app = createApp(config, { background: options.background ?? false });
  const server = await new Promise<import('node:http').Server>((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  config.publicUrl = url;

  return {
    app,
    config,
    url,
    dataDir,
    request(pathname, init = {}) {
      const { admin, json, ...rest } = init;
      const headers = new Headers(rest.headers);
      if (admin) headers.set('authorization', `Bearer ${ADMIN_TOKEN}`);
      if (json !== undefined) headers.set('content-type', 'application/json');
      return fetch(url + pathname, {
        ...rest,
        headers,
        body: json !== undefined ? JSON.stringify(json) : rest.body,
      });
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await closeApp(app);
      if (!options.dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
