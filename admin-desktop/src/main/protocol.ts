import fs from 'node:fs';
import path from 'node:path';
import { APP_HOST, APP_SCHEME } from './window.js';

/**
 * The renderer's Content-Security-Policy. index.html carries the same policy in a meta tag
 * (a test keeps the two equal); the `app:` handler also sends it as a header.
 *
 * - `default-src 'self'`, scripts and styles only from the app's own files: no remote code,
 *   no inline script.
 * - `'wasm-unsafe-eval'` lets the 3D view compile the mesh decoders (meshopt, Draco), which are
 *   WebAssembly shipped inside the app; it does not allow `eval` of JavaScript.
 * - `img-src blob: data:` for posters and textures decoded from a GLB; `connect-src blob:`
 *   because three's texture loader fetches those blob URLs. The renderer itself reaches no
 *   server: main fetches the preview bytes and hands them over IPC.
 * - `worker-src blob:` for the Draco decoder worker that three builds from a blob.
 */
export const RENDERER_CSP = [
  "default-src 'self'",
  "script-src 'self' 'wasm-unsafe-eval'",
  "style-src 'self'",
  "img-src 'self' blob: data:",
  "font-src 'self'",
  "connect-src 'self' blob:",
  "worker-src 'self' blob:",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-src 'none'",
].join('; ');

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.wasm': 'application/wasm',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
  '.json': 'application/json',
};

/**
 * Maps an `app://vitrine/…` URL to a file under `root`, or null when the URL names another
 * host, leaves the folder (`..`, encoded or not) or points at nothing.
 */
export function resolveAppFile(root: string, requestUrl: string): string | null {
  let url: URL;
  try {
    url = new URL(requestUrl);
  } catch {
    return null;
  }
  if (url.protocol !== `${APP_SCHEME}:` || url.host !== APP_HOST) return null;
  let pathname: string;
  try {
    pathname = decodeURIComponent(url.pathname);
  } catch {
    return null;
  }
  if (pathname.includes('\0')) return null;
  const relative = pathname === '/' ? 'index.html' : pathname.replace(/^\/+/, '');
  const base = path.resolve(root);
  const file = path.resolve(base, relative);
  if (file !== base && !file.startsWith(base + path.sep)) return null;
  return file;
}

/** Answers one `app:` request from the built renderer folder, with the CSP header. */
export async function serveAppFile(root: string, request: Request): Promise<Response> {
  const file = resolveAppFile(root, request.url);
  if (!file || request.method !== 'GET') return new Response('Not found', { status: 404 });
  try {
    const stat = await fs.promises.stat(file);
    if (!stat.isFile()) return new Response('Not found', { status: 404 });
    const body = await fs.promises.readFile(file);
    return new Response(body, {
      status: 200,
      headers: {
        'content-type': TYPES[path.extname(file)] ?? 'application/octet-stream',
        'content-security-policy': RENDERER_CSP,
        'x-content-type-options': 'nosniff',
      },
    });
  } catch {
    return new Response('Not found', { status: 404 });
  }
}
