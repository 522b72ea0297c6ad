import crypto from 'node:crypto';
import path from 'node:path';
import jwt from 'jsonwebtoken';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isVitrineError } from '@vitrine/shared';
import { writeTransaction } from '../../src/db/database.js';
import {
  consumeDownload,
  createGrants,
  extendGrant,
  hashAddress,
  listOrderDownloads,
  resolveOriginalPath,
  revokeGrants,
  signDownloadToken,
  verifyDownloadToken,
} from '../../src/services/downloads.js';
import { startTestServer, type TestServer } from '../helpers/app.js';
import { grantRow, seedOrder } from '../helpers/grants.js';

const DAY_MS = 86_400_000;

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({ DOWNLOAD_LIMIT: '3', DOWNLOAD_TTL_DAYS: '2' });
});
afterAll(() => server.close());

function context() {
  return server.app.locals.context;
}

function grantsOf(orderId: string) {
  return context()
    .db.prepare('SELECT * FROM download_grants WHERE order_id = ? ORDER BY id')
    .all(orderId) as {
    id: string;
    product_id: string;
    model_id: string;
    max_downloads: number;
    expires_at: string;
  }[];
}

function codeOf(work: () => unknown): string | undefined {
  try {
    work();
  } catch (error) {
    return isVitrineError(error) ? error.code : `not a VitrineError: ${String(error)}`;
  }
  return undefined;
}

const model = () => crypto.randomBytes(256);

describe('createGrants()', () => {
  it('creates one grant per line with a model, with the configured limit and time to live', () => {
    const order = seedOrder(context(), [
      { name: 'Digital', type: 'digital', bytes: model() },
      { name: 'Poster print', type: 'physical' },
      { name: 'Hybrid', type: 'hybrid', bytes: model() },
    ]);
    const before = Date.now();

    createGrants(context(), order.orderId);
    const grants = grantsOf(order.orderId);

    expect(grants.map((g) => g.product_id).sort()).toEqual(
      [order.lines[0]!.productId, order.lines[2]!.productId].sort(),
    );
    for (const grant of grants) {
      expect(grant.id).toMatch(/^dlg_[A-Za-z0-9_-]{20,}$/);
      expect(grant.max_downloads).toBe(3);
      const ttl = Date.parse(grant.expires_at) - before;
      expect(ttl).toBeGreaterThanOrEqual(2 * DAY_MS - 1000);
      expect(ttl).toBeLessThanOrEqual(2 * DAY_MS + 5000);
    }
    expect(grants.find((g) => g.product_id === order.lines[0]!.productId)!.model_id).toBe(
      order.lines[0]!.modelId,
    );
  });

  it('is idempotent: a second run keeps the grants as they are', () => {
    const order = seedOrder(context(), [{ name: 'Once', bytes: model() }]);

    createGrants(context(), order.orderId);
    const first = grantsOf(order.orderId);
    createGrants(context(), order.orderId);

    expect(grantsOf(order.orderId)).toEqual(first);
    expect(first).toHaveLength(1);
  });

  it('joins the caller’s transaction and rolls back with it', () => {
    const order = seedOrder(context(), [{ name: 'Rolled back', bytes: model() }]);

    expect(() =>
      writeTransaction(context().db, () => {
        createGrants(context(), order.orderId);
        throw new Error('fulfilment failed after the grants');
      }),
    ).toThrow('fulfilment failed');

    expect(grantsOf(order.orderId)).toHaveLength(0);
  });

  it('throws at once for an order that does not exist', () => {
    expect(() => createGrants(context(), 'ord_missing')).toThrow(/createGrants\(\).*ord_missing/);
  });
});

describe('revokeGrants()', () => {
  it('revokes every grant of the order and keeps the first reason when repeated', () => {
    const order = seedOrder(context(), [
      { name: 'A', bytes: model() },
      { name: 'B', bytes: model() },
    ]);
    createGrants(context(), order.orderId);

    revokeGrants(context().db, order.orderId, 'refund');
    const first = grantsOf(order.orderId).map((g) => grantRow(server, g.id));
    revokeGrants(context().db, order.orderId, 'dispute');

    const again = grantsOf(order.orderId).map((g) => grantRow(server, g.id));
    expect(first).toHaveLength(2);
    expect(again).toEqual(first);
    expect(again.every((g) => g.revoked_at !== null && g.revoked_reason === 'refund')).toBe(true);
  });
});

describe('listOrderDownloads()', () => {
  it('lists grants in line order with a freshly signed link, expiry and remaining count', () => {
    const order = seedOrder(context(), [
      { name: 'Zebra', bytes: model() },
      { name: 'Aardvark', bytes: model() },
    ]);
    createGrants(context(), order.orderId);
    const [first, second] = grantsOf(order.orderId).sort((a, b) =>
      a.product_id === order.lines[0]!.productId
        ? -1
        : b.product_id === order.lines[0]!.productId
          ? 1
          : 0,
    );

    const downloads = listOrderDownloads(context(), order.orderId);

    expect(downloads.map((d) => d.name)).toEqual(['Zebra', 'Aardvark']);
    expect(downloads.map((d) => d.grantId)).toEqual([first!.id, second!.id]);
    for (const download of downloads) {
      expect(download.url.startsWith(`${server.config.publicUrl}/api/downloads/`)).toBe(true);
      expect(download.remaining).toBe(3);
      expect(download.revoked).toBe(false);
      const token = download.url.split('/').pop()!;
      const claims = jwt.verify(token, server.config.downloadSecret, {
        algorithms: ['HS256'],
        issuer: 'vitrine',
        audience: 'vitrine-download',
      }) as jwt.JwtPayload;
      expect(jwt.decode(token, { complete: true })!.header.alg).toBe('HS256');
      expect(claims.jti).toBe(download.grantId);
      expect(claims.exp).toBe(Math.floor(Date.parse(download.expiresAt) / 1000));
    }
  });

  it('shows revoked and expired grants with nothing remaining', () => {
    const revoked = seedOrder(context(), [{ name: 'Refunded', bytes: model() }]);
    const expired = seedOrder(context(), [{ name: 'Old', bytes: model() }]);
    createGrants(context(), revoked.orderId);
    createGrants(context(), expired.orderId);
    revokeGrants(context().db, revoked.orderId, 'refund');
    context()
      .db.prepare('UPDATE download_grants SET expires_at = ? WHERE order_id = ?')
      .run(new Date(Date.now() - 1000).toISOString(), expired.orderId);

    const [refunded] = listOrderDownloads(context(), revoked.orderId);
    const [old] = listOrderDownloads(context(), expired.orderId);

    expect(refunded).toMatchObject({ name: 'Refunded', revoked: true, remaining: 0 });
    expect(old).toMatchObject({ name: 'Old', revoked: false, remaining: 0 });
  });

  it('lists nothing for an order without model lines', () => {
    const order = seedOrder(context(), [{ name: 'Mug', type: 'physical' }]);
    createGrants(context(), order.orderId);

    expect(listOrderDownloads(context(), order.orderId)).toEqual([]);
  });
});

describe('verifyDownloadToken()', () => {
  const config = { downloadSecret: crypto.randomBytes(48).toString('base64url') };
  const grant = { id: 'dlg_example', expires_at: new Date(Date.now() + DAY_MS).toISOString() };

  it('returns the grant id of a token it signed', () => {
    expect(verifyDownloadToken(config, signDownloadToken(config, grant))).toBe('dlg_example');
  });

  it('leaves expiry to the grant row: a token whose JWT exp passed still names its grant', () => {
    const past = { id: 'dlg_old', expires_at: new Date(Date.now() - DAY_MS).toISOString() };

    expect(verifyDownloadToken(config, signDownloadToken(config, past))).toBe('dlg_old');
  });

  it.each([
    [
      'HS512 with the same secret',
      () =>
        jwt.sign({ jti: 'dlg_x', exp: 9e9 }, config.downloadSecret, {
          algorithm: 'HS512',
          issuer: 'vitrine',
          audience: 'vitrine-download',
        }),
    ],
    [
      'HS384 with the same secret',
      () =>
        jwt.sign({ jti: 'dlg_x', exp: 9e9 }, config.downloadSecret, {
          algorithm: 'HS384',
          issuer: 'vitrine',
          audience: 'vitrine-download',
        }),
    ],
    [
      'alg none',
      () =>
        `${Buffer.from('{"alg":"none","typ":"JWT"}').toString('base64url')}.${Buffer.from('{"jti":"dlg_x","iss":"vitrine","aud":"vitrine-download","exp":9000000000}').toString('base64url')}.`,
    ],
    [
      'another audience',
      () =>
        jwt.sign({ jti: 'dlg_x', exp: 9e9 }, config.downloadSecret, {
          algorithm: 'HS256',
          issuer: 'vitrine',
          audience: 'vitrine-order',
        }),
    ],
    [
      'another issuer',
      () =>
        jwt.sign({ jti: 'dlg_x', exp: 9e9 }, config.downloadSecret, {
          algorithm: 'HS256',
          issuer: 'elsewhere',
          audience: 'vitrine-download',
        }),
    ],
    ['another secret', () => signDownloadToken({ downloadSecret: 'x'.repeat(48) }, grant)],
    [
      'no jti',
      () =>
        jwt.sign({ exp: 9e9 }, config.downloadSecret, {
          algorithm: 'HS256',
          issuer: 'vitrine',
          audience: 'vitrine-download',
        }),
    ],
    [
      'no exp',
      () =>
        jwt.sign({ jti: 'dlg_x' }, config.downloadSecret, {
          algorithm: 'HS256',
          issuer: 'vitrine',
          audience: 'vitrine-download',
          noTimestamp: true,
        }),
    ],
    ['a truncated signature', () => signDownloadToken(config, grant).slice(0, -3)],
  ])('rejects a token with %s as invalid_token', (_kind, make) => {
    expect(codeOf(() => verifyDownloadToken(config, make()))).toBe('invalid_token');
  });
});

describe('consumeDownload()', () => {
  it('counts up to the limit and then refuses with download_limit_reached', () => {
    const order = seedOrder(context(), [{ name: 'Counted', bytes: model() }]);
    createGrants(context(), order.orderId);
    const [grant] = grantsOf(order.orderId);

    for (let i = 0; i < 3; i += 1) consumeDownload(context().db, grant!.id);

    expect(codeOf(() => consumeDownload(context().db, grant!.id))).toBe('download_limit_reached');
    expect(grantRow(server, grant!.id).downloads_used).toBe(3);
  });

  it('refuses revoked and expired grants without counting', () => {
    const order = seedOrder(context(), [{ name: 'Revoked', bytes: model() }]);
    createGrants(context(), order.orderId);
    const [grant] = grantsOf(order.orderId);
    revokeGrants(context().db, order.orderId, 'dispute');

    expect(codeOf(() => consumeDownload(context().db, grant!.id))).toBe('grant_revoked');
    context()
      .db.prepare('UPDATE download_grants SET revoked_at = NULL, expires_at = ? WHERE id = ?')
      .run(new Date(Date.now() - 1).toISOString(), grant!.id);
    expect(codeOf(() => consumeDownload(context().db, grant!.id))).toBe('invalid_token');
    expect(grantRow(server, grant!.id).downloads_used).toBe(0);
  });
});

describe('extendGrant()', () => {
  it('restarts an expired grant from now and adds days on top of a live one', () => {
    const order = seedOrder(context(), [
      { name: 'Expired', bytes: model() },
      { name: 'Live', bytes: model() },
    ]);
    createGrants(context(), order.orderId);
    const [a, b] = grantsOf(order.orderId);
    context()
      .db.prepare('UPDATE download_grants SET expires_at = ? WHERE id = ?')
      .run(new Date(Date.now() - 10 * DAY_MS).toISOString(), a!.id);
    const liveExpiry = Date.parse(grantRow(server, b!.id).expires_at);
    const before = Date.now();

    const expired = extendGrant(context().db, a!.id, { days: 3 });
    const live = extendGrant(context().db, b!.id, { days: 3, downloads: 2 });

    expect(Date.parse(expired.expires_at) - before).toBeGreaterThanOrEqual(3 * DAY_MS - 1000);
    expect(Date.parse(expired.expires_at) - before).toBeLessThanOrEqual(3 * DAY_MS + 5000);
    expect(Date.parse(live.expires_at)).toBe(liveExpiry + 3 * DAY_MS);
    expect(live.max_downloads).toBe(5);
    expect(grantRow(server, b!.id)).toMatchObject({
      max_downloads: 5,
      expires_at: live.expires_at,
    });
  });

  it('answers not_found for an unknown grant and conflict for a revoked one', () => {
    const order = seedOrder(context(), [{ name: 'Gone', bytes: model() }]);
    createGrants(context(), order.orderId);
    const [grant] = grantsOf(order.orderId);
    revokeGrants(context().db, order.orderId, 'refund');

    expect(codeOf(() => extendGrant(context().db, 'dlg_unknown', { days: 1 }))).toBe('not_found');
    expect(codeOf(() => extendGrant(context().db, grant!.id, { days: 1 }))).toBe('conflict');
  });
});

describe('hashAddress()', () => {
  it('is stable for one install, differs between installs and is not a plain sha256', () => {
    const one = { downloadSecret: 'a'.repeat(48) };
    const two = { downloadSecret: 'b'.repeat(48) };

    expect(hashAddress(one, '192.0.2.1')).toBe(hashAddress(one, '192.0.2.1'));
    expect(hashAddress(one, '192.0.2.1')).not.toBe(hashAddress(one, '192.0.2.2'));
    expect(hashAddress(one, '192.0.2.1')).not.toBe(hashAddress(two, '192.0.2.1'));
    expect(hashAddress(one, '192.0.2.1')).not.toBe(
      crypto.createHash('sha256').update('192.0.2.1').digest('hex'),
    );
  });
});

describe('resolveOriginalPath()', () => {
  it('keeps paths inside the originals folder and refuses the rest', () => {
    const originals = context().paths.originals;

    expect(resolveOriginalPath(context(), 'abc.glb')).toBe(path.join(originals, 'abc.glb'));
    expect(resolveOriginalPath(context(), path.join(originals, 'abc.glb'))).toBe(
      path.join(originals, 'abc.glb'),
    );
    expect(resolveOriginalPath(context(), '../../store.db')).toBeUndefined();
    expect(resolveOriginalPath(context(), '/etc/passwd')).toBeUndefined();
    expect(resolveOriginalPath(context(), `${originals}-evil/abc.glb`)).toBeUndefined();
    expect(resolveOriginalPath(context(), '')).toBeUndefined();
  });
});
