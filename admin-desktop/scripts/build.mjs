// Builds the desktop app with esbuild into dist/: main and preload as CommonJS for Electron
// (a sandboxed preload cannot load ES modules), the renderer as one browser bundle plus its
// index.html, styles and the Draco decoder files the 3D view loads from its own origin.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const require = (await import('node:module')).createRequire(import.meta.url);

/** Targets at or below the Chromium and Node inside Electron 45, so nothing is too new. */
const CHROME = 'chrome140';
const NODE = 'node22';

/**
 * @param {{ outDir?: string, targets?: Array<'main' | 'preload' | 'renderer'>, minify?: boolean }} options
 * @returns {Promise<string>} the output folder
 */
export async function build(options = {}) {
  const outDir = path.resolve(options.outDir ?? path.join(ROOT, 'dist'));
  const targets = options.targets ?? ['main', 'preload', 'renderer'];
  const minify = options.minify ?? process.env.NODE_ENV === 'production';
  const common = { bundle: true, sourcemap: true, logLevel: 'warning', absWorkingDir: ROOT };
  const jobs = [];

  if (targets.includes('main')) {
    jobs.push(
      esbuild.build({
        ...common,
        entryPoints: ['src/main/index.ts'],
        outfile: path.join(outDir, 'main', 'index.cjs'),
        platform: 'node',
        format: 'cjs',
        target: NODE,
        external: ['electron'],
        minify,
      }),
    );
  }
  if (targets.includes('preload')) {
    jobs.push(
      esbuild.build({
        ...common,
        entryPoints: ['src/preload/index.ts'],
        // The preload needs only the channel names; keep zod and the schemas out of it.
        alias: { '@vitrine/shared': path.join(ROOT, '..', 'shared', 'src', 'ipc.ts') },
        outfile: path.join(outDir, 'preload', 'index.cjs'),
        platform: 'node',
        format: 'cjs',
        target: CHROME,
        external: ['electron'],
        minify,
      }),
    );
  }
  if (targets.includes('renderer')) {
    const rendererDir = path.join(outDir, 'renderer');
    jobs.push(
      esbuild
        .build({
          ...common,
          entryPoints: { app: 'src/renderer/main.tsx' },
          outdir: rendererDir,
          platform: 'browser',
          format: 'esm',
          target: CHROME,
          jsx: 'automatic',
          define: { 'process.env.NODE_ENV': JSON.stringify(minify ? 'production' : 'development') },
          minify,
        })
        .then(() => {
          fs.copyFileSync(
            path.join(ROOT, 'src/renderer/index.html'),
            path.join(rendererDir, 'index.html'),
          );
          const dracoSource = path.dirname(
            require.resolve('three/examples/jsm/libs/draco/gltf/draco_decoder.wasm'),
          );
          const dracoTarget = path.join(rendererDir, 'draco');
          fs.mkdirSync(dracoTarget, { recursive: true });
          for (const file of ['draco_decoder.wasm', 'draco_wasm_wrapper.js']) {
            fs.copyFileSync(path.join(dracoSource, file), path.join(dracoTarget, file));
          }
        }),
    );
  }
  await Promise.all(jobs);
  return outDir;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const outDir = await build();
  console.log(`admin-desktop: built into ${path.relative(process.cwd(), outDir) || '.'}`);
}
