import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
// @ts-expect-error: the build script is plain JavaScript without declarations.
import { build } from '../../scripts/build.mjs';
import { INVOKE_CHANNELS } from '../../src/common/channels.js';
import { RENDERER_CSP } from '../../src/main/protocol.js';

const run = promisify(execFile);
const STUB = path.resolve(import.meta.dirname, '../helpers/electron-stub.cjs');

describe('build()', () => {
  let outDir: string;
  beforeAll(async () => {
    outDir = await build({ outDir: fs.mkdtempSync(path.join(os.tmpdir(), 'vitrine-build-')) });
  });
  afterAll(() => fs.rmSync(outDir, { recursive: true, force: true }));

  it('writes main, preload, the renderer and the Draco decoder files', () => {
    for (const file of [
      'main/index.cjs',
      'preload/index.cjs',
      'renderer/index.html',
      'renderer/app.js',
      'renderer/app.css',
      'renderer/draco/draco_decoder.wasm',
      'renderer/draco/draco_wasm_wrapper.js',
    ]) {
      expect(fs.existsSync(path.join(outDir, file)), file).toBe(true);
    }
  });

  it('keeps the preload down to electron and the channel names', () => {
    const preload = fs.readFileSync(path.join(outDir, 'preload/index.cjs'), 'utf8');
    const required = [...preload.matchAll(/require\("([^"]+)"\)/g)].map((match) => match[1]);
    expect([...new Set(required)]).toEqual(['electron']);
    expect(preload).not.toContain('zod');
  });

  it('ships index.html with the CSP of the app: handler', () => {
    const html = fs.readFileSync(path.join(outDir, 'renderer/index.html'), 'utf8');
    expect(html).toContain(`content="${RENDERER_CSP}"`);
    expect(html).toContain('<script type="module" src="./app.js"></script>');
  });

  it('produces a main bundle that starts under Electron and finds its preload next to it', async () => {
    const { stdout } = await run(process.execPath, [STUB, path.join(outDir, 'main/index.cjs')]);
    const record = JSON.parse(stdout.trim());
    expect(record.exit).toBeUndefined();
    expect(record.sandbox).toBe(true);
    expect(record.protocolHandled).toEqual(['app']);
    expect(record.windows).toHaveLength(1);
    expect(record.windows[0].url).toBe('app://vitrine/index.html');
    expect(record.preload).toBe(path.join(outDir, 'preload/index.cjs'));
    expect(record.preloadExists).toBe(true);
    expect(record.channels.sort()).toEqual(Object.values(INVOKE_CHANNELS).sort());
  });
});
