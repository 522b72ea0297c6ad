import path from 'node:path';
import express, { Router } from 'express';
import type { AppContext } from '../context.js';
import { notFound } from '../http/errors.js';

/**
 * `/files/*`: the public folder only (previews and posters). Model originals live outside it
 * and cannot be named here. Every file is content-named (a preview by its model id, a poster by
 * its hash), so it is cached for a year as immutable. Other origins may load the files: the
 * static site can be served from a CDN while this server stays a sidecar.
 */
export function filesRouter(context: AppContext): Router {
  const router = Router();

  router.use((req, res, next) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      notFound(req, res, next);
      return;
    }
    // Refuse traversal however it is spelled (../, %2e%2e%2f, backslashes, NUL) with a plain
    // 404, before express.static sees the path.
    let decoded: string;
    try {
      decoded = decodeURIComponent(req.path);
    } catch {
      notFound(req, res, next);
      return;
    }
    if (
      decoded.includes('\0') ||
      decoded.includes('\\') ||
      decoded.split('/').some((part) => part === '..' || part.startsWith('.'))
    ) {
      notFound(req, res, next);
      return;
    }
    next();
  });

  router.use(
    express.static(context.paths.public, {
      index: false,
      redirect: false,
      dotfiles: 'ignore',
      fallthrough: true,
      immutable: true,
      maxAge: '365d',
      setHeaders(res, file) {
        if (path.extname(file).toLowerCase() === '.glb')
          res.setHeader('Content-Type', 'model/gltf-binary');
        res.setHeader('Access-Control-Allow-Origin', '*');
        res.setHeader('Cross-Origin-Resource-Policy', 'cross-origin');
        res.setHeader('X-Content-Type-Options', 'nosniff');
      },
    }),
  );
  router.use(notFound);

  return router;
}
