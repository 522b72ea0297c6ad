import fs from 'node:fs';
import path from 'node:path';
import express, { Router, type RequestHandler, type Response } from 'express';
import type { AppContext } from '../context.js';
import { getPublishStatus, liveBuildDir } from '../services/publish.js';

const YEAR = 365 * 24 * 3600;

function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function setSiteHeaders(res: Response): void {
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('Referrer-Policy', 'strict-origin-when-cross-origin');
  res.setHeader('X-Frame-Options', 'SAMEORIGIN');
}

/** Hashed build assets never change; decoders change only with three.js; pages revalidate. */
function setCacheHeaders(res: Response, file: string, root: string): void {
  const relative = path.relative(root, file).split(path.sep).join('/');
  if (relative.startsWith('_astro/'))
    res.setHeader('Cache-Control', `public, max-age=${YEAR}, immutable`);
  else if (relative.startsWith('decoders/'))
    res.setHeader('Cache-Control', 'public, max-age=86400');
  else res.setHeader('Cache-Control', 'no-cache');
}

/**
 * The page shown before the first build has finished (or when none could be made). It refreshes
 * itself while a build runs. The build log stays in the admin API; shoppers get a sentence.
 */
function sendPlaceholder(context: AppContext, res: Response): void {
  const status = getPublishStatus(context);
  const building = status.state === 'building';
  const name = escapeHtml(context.config.storeName);
  const message = building
    ? 'The storefront is being built. This page reloads by itself in a few seconds.'
    : status.state === 'failed'
      ? 'The storefront could not be built. The shop owner can see why under Publish in the desktop app.'
      : 'The storefront has not been published yet. The shop owner can publish it from the desktop app.';
  res
    .status(503)
    .setHeader('Cache-Control', 'no-store')
    .setHeader('Retry-After', building ? '5' : '60')
    .type('html')
    .send(
      `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">` +
        (building ? '<meta http-equiv="refresh" content="5">' : '') +
        `<title>${name}</title><style>body{font-family:system-ui,sans-serif;max-width:36rem;margin:4rem auto;padding:0 1rem;line-height:1.5;color:#1d1c1a}</style></head>` +
        `<body><h1>${name}</h1><p data-site-state="${status.state}">${message}</p></body></html>`,
    );
}

/**
 * Serves the live static build at `/`: clean URLs (`/products/<slug>/` is its index.html, and
 * `/products/<slug>` redirects there), the build's 404 page, and long caching for hashed assets.
 * The live folder is looked up per request, so a publish takes effect without a restart and a
 * request never mixes two builds.
 */
export function siteRouter(context: AppContext): Router {
  const router = Router();
  const handlers = new Map<string, RequestHandler>();

  const staticFor = (root: string): RequestHandler => {
    let handler = handlers.get(root);
    if (!handler) {
      handler = express.static(root, {
        index: 'index.html',
        redirect: true,
        dotfiles: 'ignore',
        fallthrough: true,
        etag: true,
        setHeaders: (res, file) => setCacheHeaders(res, file, root),
      });
      // Older builds are pruned; their handlers need not live on.
      if (handlers.size >= 4) handlers.delete(handlers.keys().next().value as string);
      handlers.set(root, handler);
    }
    return handler;
  };

  router.use((req, res, next) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      next();
      return;
    }
    setSiteHeaders(res);
    const root = liveBuildDir(context);
    if (!root) {
      sendPlaceholder(context, res);
      return;
    }
    staticFor(root)(req, res, () => {
      const notFoundPage = path.join(root, '404.html');
      if (!fs.existsSync(notFoundPage)) {
        next();
        return;
      }
      res.status(404).setHeader('Cache-Control', 'no-cache').type('html');
      if (req.method === 'HEAD') {
        res.end();
        return;
      }
      fs.createReadStream(notFoundPage).pipe(res);
    });
  });

  return router;
}
