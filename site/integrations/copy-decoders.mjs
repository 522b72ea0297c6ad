import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

/**
 * Serves three.js's Draco decoder and Basis Universal transcoder from our own origin, so the
 * 3D preview never fetches a decoder from a CDN (drei's default Draco path is gstatic.com).
 * The files are copied from the installed `three` package into `<outDir>/decoders/…` after a
 * build, and served from node_modules by the dev server.
 */
const require = createRequire(import.meta.url);

/** Public folder name → folder inside the `three` package. */
export const DECODER_FOLDERS = {
  draco: 'examples/jsm/libs/draco/gltf',
  basis: 'examples/jsm/libs/basis',
};

const CONTENT_TYPES = { '.js': 'text/javascript', '.wasm': 'application/wasm' };

function threeFolder(relative) {
  // `three` exports ./examples/jsm/* but not ./package.json; resolve a known file instead.
  const wrapper = require.resolve('three/examples/jsm/libs/draco/gltf/draco_decoder.js');
  const root = path.resolve(path.dirname(wrapper), '../../../../..');
  return path.join(root, relative);
}

function decoderFiles(folder) {
  return fs.readdirSync(folder).filter((name) => name.endsWith('.js') || name.endsWith('.wasm'));
}

/** @returns {import('astro').AstroIntegration} */
export function copyDecoders() {
  return {
    name: 'vitrine:copy-decoders',
    hooks: {
      'astro:server:setup': ({ server }) => {
        server.middlewares.use((req, res, next) => {
          const match = /^\/decoders\/(draco|basis)\/([\w.-]+)$/.exec(req.url?.split('?')[0] ?? '');
          if (!match) return next();
          const folder = threeFolder(DECODER_FOLDERS[/** @type {'draco'|'basis'} */ (match[1])]);
          const name = match[2] ?? '';
          if (!decoderFiles(folder).includes(name)) return next();
          res.setHeader(
            'content-type',
            CONTENT_TYPES[path.extname(name)] ?? 'application/octet-stream',
          );
          fs.createReadStream(path.join(folder, name)).pipe(res);
        });
      },
      'astro:build:done': ({ dir, logger }) => {
        const out = fileURLToPath(dir);
        for (const [name, relative] of Object.entries(DECODER_FOLDERS)) {
          const from = threeFolder(relative);
          const to = path.join(out, 'decoders', name);
          fs.mkdirSync(to, { recursive: true });
          for (const file of decoderFiles(from))
            fs.copyFileSync(path.join(from, file), path.join(to, file));
        }
        logger.info('copied the Draco decoder and Basis transcoder into /decoders/');
      },
    },
  };
}
