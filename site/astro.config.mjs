// @ts-check
import { defineConfig } from 'astro/config';
import react from '@astrojs/react';
import { copyDecoders } from './integrations/copy-decoders.mjs';

// The server's publish service runs `astro build --outDir <DATA_DIR/site/builds/<id>>` with
// VITRINE_CATALOG_FILE pointing at a catalog export; VITRINE_CACHE_DIR keeps two builds of this
// one source tree (two test servers, two stores) from sharing Astro's cache folder.
export default defineConfig({
  output: 'static',
  trailingSlash: 'ignore',
  build: { format: 'directory' },
  cacheDir: process.env.VITRINE_CACHE_DIR || './node_modules/.astro',
  integrations: [react(), copyDecoders()],
  // No prefetching, fonts or image services that could reach another host.
  prefetch: false,
  devToolbar: { enabled: false },
  vite: {
    build: { chunkSizeWarningLimit: 1500 },
  },
});
