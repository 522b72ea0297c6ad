import crypto from 'node:crypto';
import path from 'node:path';
import jwt from 'jsonwebtoken';
import { VitrineError, type DownloadGrant, type OrderDownload } from '@vitrine/shared';
import type { Config } from '../config.js';
import type { AppContext } from '../context.js';
import { now, writeTransaction, type Db } from '../db/database.js';
import { newId } from '../ids.js';

/**
 * Download grants: one row per paid product line that carries a model file. The row, not the
 * token, is the source of truth for the count, the expiry and revocation, so the owner can
 * revoke or extend a grant without sending new links.
 */

export const TOKEN_ALGORITHM = 'HS256';
export const TOKEN_ISSUER = 'vitrine';
export const TOKEN_AUDIENCE = 'vitrine-download';

/** A `download_grants` row as stored. */
export interface GrantRow {
  id: string;
  order_id: string;
  product_id: string;
  model_id: string;
  max_downloads: number;
  downloads_used: number;
  expires_at: string;
  revoked_at: string | null;
  revoked_reason: string | null;
  created_at: string;
}

/** A grant with the name of the line it belongs to and the model file behind it. */
export interface GrantFileRow extends GrantRow {
  name: string;
  sha256: string;
  bytes: number;
  original_path: string;
}

// The line's name as bought, falling back to the product's current name.
const GRANT_NAME_SQL = `COALESCE(
  (SELECT oi.name FROM order_items oi
    WHERE oi.order_id = g.order_id AND oi.product_id = g.product_id
    ORDER BY oi.position LIMIT 1),
  p.name)`;

/**
 * Creates one grant per product line of the order whose `order_items.model_id` is set (digital
 * and hybrid lines), with the configured limit and time to live. Runs inside the caller's write
 * transaction (or opens one); safe to call again: existing grants are left as they are.
 */
export function createGrants(context: AppContext, orderId: string): void {
  const { db, config } = context;
  writeTransaction(db, () => {
    const order = db.prepare('SELECT id FROM orders WHERE id = ?').get(orderId);
    if (!order) throw new Error(`createGrants(): there is no order "${orderId}"`);

    const lines = db
      .prepare(
        `SELECT product_id, model_id FROM order_items
          WHERE order_id = ? AND kind = 'product' AND product_id IS NOT NULL
            AND model_id IS NOT NULL
          ORDER BY position`,
      )
      .all(orderId) as { product_id: string; model_id: string }[];

    const createdAt = now();
    const expiresAt = new Date(Date.now() + config.downloadTtlSeconds * 1000).toISOString();
    const insert = db.prepare(
      `INSERT INTO download_grants
         (id, order_id, product_id, model_id, max_downloads, downloads_used, expires_at, created_at)
       VALUES (?, ?, ?, ?, ?, 0, ?, ?)
       ON CONFLICT (order_id, product_id) DO NOTHING`,
    );
    for (const line of lines) {
      insert.run(
        newId('dlg'),
        orderId,
        line.product_id,
        line.model_id,
        config.downloadLimit,
        expiresAt,
        createdAt,
      );
    }
  });
}

/**
 * Revokes every live grant of the order (refund, dispute). Idempotent: a grant keeps the time
 * and reason of its first revocation.
 */
export function revokeGrants(db: Db, orderId: string, reason: string): void {
  db.prepare(
    `UPDATE download_grants SET revoked_at = ?, revoked_reason = ?
      WHERE order_id = ? AND revoked_at IS NULL`,
  ).run(now(), reason, orderId);
}

/**
 * Every grant of the order with a freshly signed link, in the order of the lines. Revoked and
 * expired grants are listed too (`revoked`, `expiresAt` say why) with `remaining: 0`; their
 * links answer 403 or 401 with a message instead of a file.
 */
export function listOrderDownloads(context: AppContext, orderId: string): OrderDownload[] {
  const rows = context.db
    .prepare(
      `SELECT g.*, ${GRANT_NAME_SQL} AS name
         FROM download_grants g JOIN products p ON p.id = g.product_id
        WHERE g.order_id = ?
        ORDER BY (SELECT MIN(oi.position) FROM order_items oi
                   WHERE oi.order_id = g.order_id AND oi.product_id = g.product_id), g.id`,
    )
    .all(orderId) as (GrantRow & { name: string })[];

  return rows.map((row) => ({
    grantId: row.id,
    productId: row.product_id,
    name: row.name,
    url: downloadUrl(context.config, row),
    expiresAt: row.expires_at,
    remaining: remainingDownloads(row),
    revoked: row.revoked_at !== null,
  }));
}

/** Downloads the grant still serves right now. */
export function remainingDownloads(row: GrantRow, at = now()): number {
  if (row.revoked_at !== null || row.expires_at <= at) return 0;
  return Math.max(0, row.max_downloads - row.downloads_used);
}

/** `${publicUrl}/api/downloads/<token>` for the grant. */
export function downloadUrl(config: Config, grant: Pick<GrantRow, 'id' | 'expires_at'>): string {
  return `${config.publicUrl}/api/downloads/${signDownloadToken(config, grant)}`;
}

/**
 * Signs a download token: HS256, issuer `vitrine`, audience `vitrine-download`, `jti` = grant
 * id, `exp` = the grant's expiry at signing time.
 */
export function signDownloadToken(
  config: Pick<Config, 'downloadSecret'>,
  grant: Pick<GrantRow, 'id' | 'expires_at'>,
): string {
  const exp = Math.floor(Date.parse(grant.expires_at) / 1000);
  return jwt.sign({ exp }, config.downloadSecret, {
    algorithm: TOKEN_ALGORITHM,
    issuer: TOKEN_ISSUER,
    audience: TOKEN_AUDIENCE,
    jwtid: grant.id,
  });
}

/**
 * Checks a token's signature, algorithm, issuer and audience, and returns the grant id it
 * names. The JWT `exp` is deliberately not enforced here: the grant row's `expires_at` decides
 * (see {@link checkGrantUsable}), so an owner's extension revives links already sent. A token
 * still cannot outlive its grant, and it cannot name another grant without the secret.
 */
export function verifyDownloadToken(config: Pick<Config, 'downloadSecret'>, token: string): string {
  let payload: jwt.JwtPayload | string;
  try {
    payload = jwt.verify(token, config.downloadSecret, {
      algorithms: [TOKEN_ALGORITHM],
      issuer: TOKEN_ISSUER,
      audience: TOKEN_AUDIENCE,
      ignoreExpiration: true,
    });
  } catch (error) {
    throw invalidToken(
      'The download link is not valid: its signature or claims do not check out.',
      error,
    );
  }
  if (
    typeof payload === 'string' ||
    typeof payload.jti !== 'string' ||
    typeof payload.exp !== 'number'
  ) {
    throw invalidToken('The download link is not valid: it does not name a download.');
  }
  return payload.jti;
}

function invalidToken(message: string, cause?: unknown): VitrineError {
  return new VitrineError('invalid_token', message, {
    hint: 'Open the newest link from your order page or receipt email.',
    cause,
  });
}

/** A grant with its model file, or undefined when no such grant exists. */
export function getGrantFile(db: Db, grantId: string): GrantFileRow | undefined {
  return db
    .prepare(
      `SELECT g.*, ${GRANT_NAME_SQL} AS name, m.sha256, m.bytes, m.original_path
         FROM download_grants g
         JOIN products p ON p.id = g.product_id
         JOIN models m ON m.id = g.model_id
        WHERE g.id = ?`,
    )
    .get(grantId) as GrantFileRow | undefined;
}

/**
 * Throws the error a download of this grant must answer with now: 403 `grant_revoked`, 401
 * `invalid_token` once the grant's expiry passed, or, when `counted`, 403
 * `download_limit_reached`.
 */
export function checkGrantUsable(row: GrantRow, counted: boolean, at = now()): void {
  if (row.revoked_at !== null) {
    throw new VitrineError(
      'grant_revoked',
      'This download was revoked by the store, so the link no longer works.',
      {
        hint: 'Contact the store if you think this is a mistake.',
      },
    );
  }
  if (row.expires_at <= at) {
    throw invalidToken(`This download link expired on ${row.expires_at}.`);
  }
  if (counted && row.downloads_used >= row.max_downloads) {
    throw new VitrineError(
      'download_limit_reached',
      `This link was used for all ${row.max_downloads} downloads it allows.`,
      {
        hint: 'A download that was interrupted can be resumed; for a new download, contact the store.',
      },
    );
  }
}

/**
 * Counts one download atomically: the guarded UPDATE succeeds only while the grant is live and
 * under its limit, inside BEGIN IMMEDIATE, so concurrent requests never exceed the limit (even
 * across processes sharing the database). Throws the reason when it cannot count.
 */
export function consumeDownload(db: Db, grantId: string): void {
  writeTransaction(db, () => {
    const at = now();
    const result = db
      .prepare(
        `UPDATE download_grants SET downloads_used = downloads_used + 1
          WHERE id = ? AND revoked_at IS NULL AND expires_at > ?
            AND downloads_used < max_downloads`,
      )
      .run(grantId, at);
    if (result.changes === 1) return;

    const row = db.prepare('SELECT * FROM download_grants WHERE id = ?').get(grantId) as
      GrantRow | undefined;
    if (!row) throw invalidToken('The download link is not valid: its download no longer exists.');
    checkGrantUsable(row, true, at);
    throw new Error(`consumeDownload(): grant ${grantId} could not be counted`);
  });
}

/**
 * The absolute path of a model original from `models.original_path`: absolute paths are used
 * as stored, relative ones are resolved inside the originals folder. Anything that resolves
 * outside that folder is refused (undefined), so a bad row can never serve another file.
 */
export function resolveOriginalPath(context: AppContext, originalPath: string): string | undefined {
  const root = path.resolve(context.paths.originals);
  const resolved = path.resolve(root, originalPath);
  return resolved.startsWith(root + path.sep) ? resolved : undefined;
}

/**
 * A salted one-way reference to a client address for the attempt log and the rate limiter:
 * HMAC-SHA256 keyed with a salt derived from this install's download secret, so the raw
 * address is never stored and the hashes of two installs do not match.
 */
export function hashAddress(config: Pick<Config, 'downloadSecret'>, address: string): string {
  const salt = crypto
    .createHmac('sha256', config.downloadSecret)
    .update('vitrine:download-attempt-ip-salt')
    .digest();
  return crypto.createHmac('sha256', salt).update(address).digest('hex');
}

/** Sets a new expiry and/or raises the limit of a grant; returns the updated row. */
export function extendGrant(
  db: Db,
  grantId: string,
  change: { days?: number; downloads?: number },
): GrantRow {
  return writeTransaction(db, () => {
    const row = db.prepare('SELECT * FROM download_grants WHERE id = ?').get(grantId) as
      GrantRow | undefined;
    if (!row) throw grantNotFound(grantId);
    if (row.revoked_at !== null) {
      throw new VitrineError(
        'conflict',
        `Download ${grantId} was revoked (${row.revoked_reason ?? 'no reason given'}), so extending it would not let the customer download.`,
        { hint: 'Revoked downloads stay revoked; sell or grant the product again instead.' },
      );
    }

    let expiresAt = row.expires_at;
    if (change.days !== undefined) {
      // An expired grant runs again from now; a live one gains the days on top of its expiry.
      const from = Math.max(Date.now(), Date.parse(row.expires_at));
      expiresAt = new Date(from + change.days * 86_400_000).toISOString();
    }
    const maxDownloads = row.max_downloads + (change.downloads ?? 0);
    db.prepare('UPDATE download_grants SET expires_at = ?, max_downloads = ? WHERE id = ?').run(
      expiresAt,
      maxDownloads,
      grantId,
    );

    return { ...row, expires_at: expiresAt, max_downloads: maxDownloads };
  });
}

/** Revokes one grant; revoking again keeps the first time and reason. Returns the row. */
export function revokeGrant(db: Db, grantId: string, reason: string): GrantRow {
  return writeTransaction(db, () => {
    db.prepare(
      `UPDATE download_grants SET revoked_at = ?, revoked_reason = ?
        WHERE id = ? AND revoked_at IS NULL`,
    ).run(now(), reason, grantId);
    const row = db.prepare('SELECT * FROM download_grants WHERE id = ?').get(grantId) as
      GrantRow | undefined;
    if (!row) throw grantNotFound(grantId);

    return row;
  });
}

/** The admin view of a grant, with a freshly signed link. */
export function getDownloadGrant(context: AppContext, grantId: string): DownloadGrant {
  const row = context.db
    .prepare(
      `SELECT g.*, ${GRANT_NAME_SQL} AS name
         FROM download_grants g JOIN products p ON p.id = g.product_id
        WHERE g.id = ?`,
    )
    .get(grantId) as (GrantRow & { name: string }) | undefined;
  if (!row) throw grantNotFound(grantId);

  return {
    id: row.id,
    orderId: row.order_id,
    productId: row.product_id,
    name: row.name,
    maxDownloads: row.max_downloads,
    downloadsUsed: row.downloads_used,
    remaining: remainingDownloads(row),
    expiresAt: row.expires_at,
    revokedAt: row.revoked_at,
    revokedReason: row.revoked_reason,
    createdAt: row.created_at,
    url: downloadUrl(context.config, row),
  };
}

function grantNotFound(grantId: string): VitrineError {
  return new VitrineError('not_found', `There is no download grant "${grantId}".`, {
    hint: 'Grant ids start with dlg_ and are listed with the order.',
  });
}
