import { Router } from 'express';
import { grantExtendSchema, grantRevokeSchema } from '@vitrine/shared';
import type { AppContext } from '../../context.js';
import { parseBody } from '../../http/validate.js';
import { extendGrant, getDownloadGrant, revokeGrant } from '../../services/downloads.js';

/** Attempts shown with a grant, newest first. */
const ATTEMPTS_SHOWN = 100;

/**
 * Owner actions on one download grant. Tokens already sent keep working or stop working with
 * the grant, because downloads check the grant row, not the token.
 */
export function adminGrantsRouter(context: AppContext): Router {
  const router = Router();
  const log = context.logger.child({ area: 'admin' });

  router.get('/:grantId', (req, res) => {
    const grant = getDownloadGrant(context, req.params.grantId);
    const attempts = context.db
      .prepare(
        `SELECT at, status, bytes, range_header, ip_hash FROM download_attempts
          WHERE grant_id = ? ORDER BY id DESC LIMIT ?`,
      )
      .all(grant.id, ATTEMPTS_SHOWN) as {
      at: string;
      status: number;
      bytes: number;
      range_header: string | null;
      ip_hash: string;
    }[];

    res.json({
      ...grant,
      attempts: attempts.map((a) => ({
        at: a.at,
        status: a.status,
        bytes: a.bytes,
        range: a.range_header,
        // A short prefix is enough to tell addresses apart; the full hash stays in the database.
        address: a.ip_hash.slice(0, 12),
      })),
    });
  });

  router.post('/:grantId/revoke', (req, res) => {
    const { reason } = parseBody(grantRevokeSchema, req.body ?? {});
    const row = revokeGrant(context.db, req.params.grantId, reason ?? 'revoked by the owner');
    log.info({ grantId: row.id, orderId: row.order_id }, 'download grant revoked');

    res.json(getDownloadGrant(context, row.id));
  });

  router.post('/:grantId/extend', (req, res) => {
    const change = parseBody(grantExtendSchema, req.body ?? {});
    const row = extendGrant(context.db, req.params.grantId, change);
    log.info({ grantId: row.id, orderId: row.order_id, ...change }, 'download grant extended');

    res.json(getDownloadGrant(context, row.id));
  });

  return router;
}
