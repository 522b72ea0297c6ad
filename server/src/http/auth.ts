import crypto from 'node:crypto';
import type { RequestHandler } from 'express';
import { VitrineError } from '@vitrine/shared';

/** The bearer token of an `Authorization` header, or undefined. */
export function bearerToken(header: string | undefined): string | undefined {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
  return match?.[1];
}

/**
 * Compares two secrets in constant time. Both sides are hashed first so that neither the
 * comparison nor an early length check tells an attacker how long the real token is.
 */
export function safeEqual(a: string, b: string): boolean {
  const ha = crypto.createHash('sha256').update(a).digest();
  const hb = crypto.createHash('sha256').update(b).digest();
  return crypto.timingSafeEqual(ha, hb);
}

/** Guards `/api/admin/*` with the admin bearer token. */
export function requireAdmin(adminToken: string): RequestHandler {
  return (req, _res, next) => {
    const token = bearerToken(req.headers.authorization);
    if (!token || !safeEqual(token, adminToken)) {
      next(
        new VitrineError(
          'unauthorized',
          'The admin API needs "Authorization: Bearer <admin token>".',
          {
            hint: 'The token is ADMIN_TOKEN, or the one generated into DATA_DIR/secrets.json on first start.',
          },
        ),
      );
      return;
    }
    next();
  };
}
