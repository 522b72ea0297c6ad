import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { INVOKE_CHANNELS } from '../../src/common/channels.js';
import type { UploadProgress } from '../../src/common/bridge.js';
import { RENDERER_CSP } from '../../src/main/protocol.js';
import type { AdminService } from '../../src/main/service.js';

/**
 * The TEST BRIDGE: the same `window.vitrine` the preload exposes, for the renderer running as a
 * page in plain Chromium. Each call crosses to the test process through a Playwright binding
 * and runs the main process's own service (real HTTP client, real upload streamer) against the
 * real server. Only the Electron parts are replaced: IPC by the binding, webUtils by a name
 * lookup in `files`, shell.openExternal by a list.
 */
export interface TestBridge {
  /** Tells the page about upload progress, as main does with webContents.send. */
  sendProgress(progress: UploadProgress): Promise<void>;
  /** Every bridge call the page made, in order. */
  calls: string[];
}

const BYTES = '__vitrineBytes';

export async function installTestBridge(
  page: Page,
  service: AdminService,
  files: Map<string, string>,
): Promise<TestBridge> {
  const calls: string[] = [];
  const methods = Object.keys(INVOKE_CHANNELS);

  await page.exposeBinding('__vitrineInvoke', async (_source, method: string, args: unknown[]) => {
    if (!methods.includes(method)) throw new Error(`no bridge function ${method}`);
    calls.push(method);
    const decoded = args.map((arg) =>
      arg && typeof arg === 'object' && BYTES in arg
        ? new Uint8Array(Buffer.from((arg as Record<string, string>)[BYTES]!, 'base64'))
        : arg,
    );
    if (method === 'productsUploadModel') {
      // The page knows only the file name (it has no webUtils); map it to the file on disk.
      const named = files.get(String(decoded[1]).replace(/^picked:/, ''));
      decoded[1] = named ?? String(decoded[1]);
    }
    const call = (service as unknown as Record<string, (...a: unknown[]) => Promise<unknown>>)[
      method
    ]!;
    const result = (await call(...decoded)) as { ok: boolean; value?: unknown };
    if (result.ok && result.value instanceof Uint8Array) {
      return { ok: true, value: { [BYTES]: Buffer.from(result.value).toString('base64') } };
    }
    return result;
  });

  await page.addInitScript(
    ({ names, bytesKey }) => {
      type Listener = (progress: unknown) => void;
      const listeners = new Set<Listener>();
      const invoke = (
        window as unknown as { __vitrineInvoke: (m: string, a: unknown[]) => Promise<unknown> }
      ).__vitrineInvoke;
      const toBase64 = (bytes: Uint8Array) => {
        let text = '';
        for (let i = 0; i < bytes.length; i += 0x8000) {
          text += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
        }
        return btoa(text);
      };
      const fromBase64 = (text: string) => Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
      const bridge: Record<string, unknown> = {};
      for (const name of names) {
        bridge[name] = async (...args: unknown[]) => {
          const encoded = args.map((arg) =>
            arg instanceof Uint8Array ? { [bytesKey]: toBase64(arg) } : arg,
          );
          const result = (await invoke(name, encoded)) as { ok: boolean; value?: unknown };
          if (
            result.ok &&
            result.value &&
            typeof result.value === 'object' &&
            bytesKey in result.value
          ) {
            return {
              ok: true,
              value: fromBase64((result.value as Record<string, string>)[bytesKey]!),
            };
          }
          return result;
        };
      }
      bridge.pathForFile = (file: File) => `picked:${file.name}`;
      bridge.onUploadProgress = (listener: Listener) => {
        listeners.add(listener);
        return () => listeners.delete(listener);
      };
      Object.defineProperty(window, '__vitrineProgress', {
        value: (progress: unknown) => listeners.forEach((listener) => listener(progress)),
      });
      Object.defineProperty(window, 'vitrine', { value: Object.freeze(bridge) });
    },
    { names: methods, bytesKey: BYTES },
  );

  return {
    calls,
    async sendProgress(progress) {
      await page
        .evaluate(
          (event) =>
            (window as unknown as { __vitrineProgress(p: unknown): void }).__vitrineProgress(event),
          progress,
        )
        .catch(() => {
          // The page may be navigating or closed; progress is best effort, as over IPC.
        });
    },
  };
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.wasm': 'application/wasm',
  '.map': 'application/json',
};

/** Serves the built renderer on loopback with the app's CSP header, as the app: handler does. */
export async function serveRenderer(
  root: string,
): Promise<{ url: string; close(): Promise<void> }> {
  const server = http.createServer((req, res) => {
    const pathname = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    const file = path.resolve(root, `.${pathname === '/' ? '/index.html' : pathname}`);
    if (!file.startsWith(root + path.sep) || !fs.existsSync(file) || !fs.statSync(file).isFile()) {
      res.writeHead(404).end('not found');
      return;
    }
    res.writeHead(200, {
      'content-type': TYPES[path.extname(file)] ?? 'application/octet-stream',
      'content-security-policy': RENDERER_CSP,
    });
    fs.createReadStream(file).pipe(res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
