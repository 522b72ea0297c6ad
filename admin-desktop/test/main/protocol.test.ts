import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RENDERER_CSP, resolveAppFile, serveAppFile } from '../../src/main/protocol.js';

const INDEX_HTML = path.resolve(import.meta.dirname, '../../src/renderer/index.html');

describe('RENDERER_CSP', () => {
  it('is the same policy that index.html carries in its meta tag', () => {
    const html = fs.readFileSync(INDEX_HTML, 'utf8');
    const meta = /http-equiv="Content-Security-Policy"\s+content="([^"]+)"/.exec(html);
    expect(meta?.[1]).toBe(RENDERER_CSP);
  });

  it('allows scripts only from the app itself, with no inline code or eval', () => {
    const directives = Object.fromEntries(
      RENDERER_CSP.split(';').map((part) => {
        const [name, ...values] = part.trim().split(/\s+/);
        return [name, values];
      }),
    );
    expect(directives['default-src']).toEqual(["'self'"]);
    expect(directives['script-src']).toEqual(["'self'", "'wasm-unsafe-eval'"]);
    expect(directives['connect-src']).toEqual(["'self'", 'blob:']);
    expect(RENDERER_CSP).not.toMatch(/unsafe-inline|'unsafe-eval'|https?:|\*/);
    expect(directives['object-src']).toEqual(["'none'"]);
  });
});

describe('resolveAppFile()', () => {
  const root = '/opt/vitrine/renderer';

  it('maps app URLs to files of the renderer folder', () => {
    expect(resolveAppFile(root, 'app://vitrine/index.html')).toBe(
      '/opt/vitrine/renderer/index.html',
    );
    expect(resolveAppFile(root, 'app://vitrine/')).toBe('/opt/vitrine/renderer/index.html');
    expect(resolveAppFile(root, 'app://vitrine/draco/draco_decoder.wasm')).toBe(
      '/opt/vitrine/renderer/draco/draco_decoder.wasm',
    );
  });

  it.each([
    'app://vitrine/../main/index.cjs',
    'app://vitrine/%2e%2e/%2e%2e/etc/passwd',
    'app://vitrine/..%2f..%2fsecrets.json',
    'app://vitrine/%2e%2e%5c..%5csecrets.json',
  ])('never leaves the renderer folder for %s', (url) => {
    const file = resolveAppFile(root, url);
    if (file !== null) expect(file.startsWith(`${root}/`)).toBe(true);
  });

  it.each([
    'app://vitrine/..%2f..%2fsecrets.json',
    'app://vitrine/a%00.html',
    'app://other/index.html',
    'https://vitrine/index.html',
    'app://vitrine/%E0%A4%A',
  ])('refuses %s', (url) => {
    expect(resolveAppFile(root, url)).toBeNull();
  });
});

describe('serveAppFile()', () => {
  let root: string;
  beforeAll(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'vitrine-renderer-'));
    fs.writeFileSync(path.join(root, 'index.html'), '<!doctype html><title>t</title>');
    fs.writeFileSync(path.join(path.dirname(root), 'outside.txt'), 'secret');
  });
  afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

  it('answers with the file, its type and the CSP header', async () => {
    const response = await serveAppFile(root, new Request('app://vitrine/index.html'));
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(response.headers.get('content-security-policy')).toBe(RENDERER_CSP);
    expect(await response.text()).toContain('<title>t</title>');
  });

  it('answers 404 for missing files and for anything outside the folder', async () => {
    expect((await serveAppFile(root, new Request('app://vitrine/missing.js'))).status).toBe(404);
    expect((await serveAppFile(root, new Request('app://vitrine/%2e%2e/outside.txt'))).status).toBe(
      404,
    );
  });
});
