import type { DownloadGrant } from '@vitrine/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../../helpers/app.js';
import { grantRow, nextAddress, seedPurchase } from '../../helpers/grants.js';

interface ErrorJson {
  error: { code: string; message: string };
}

const DAY_MS = 86_400_000;

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({ DOWNLOAD_LIMIT: '2' });
});
afterAll(() => server.close());

function admin(pathname: string, json?: unknown): Promise<Response> {
  return server.request(pathname, { method: 'POST', admin: true, json: json ?? {} });
}

async function download(pathname: string): Promise<number> {
  const res = await server.request(pathname, { headers: { 'x-forwarded-for': nextAddress() } });
  await res.arrayBuffer();
  return res.status;
}

function expire(grantId: string): void {
  server.app.locals.context.db
    .prepare('UPDATE download_grants SET expires_at = ? WHERE id = ?')
    .run(new Date(Date.now() - DAY_MS).toISOString(), grantId);
}

describe('POST /api/admin/grants/:grantId/revoke', () => {
  it('revokes the grant so the link already sent answers 403 grant_revoked', async () => {
    const purchase = seedPurchase(server, { name: 'Revocable' });

    const res = await admin(`/api/admin/grants/${purchase.grantId}/revoke`, {
      reason: 'chargeback',
    });
    const grant = (await res.json()) as DownloadGrant;
    const after = await server.request(purchase.path);

    expect(res.status).toBe(200);
    expect(grant).toMatchObject({
      id: purchase.grantId,
      orderId: purchase.orderId,
      name: 'Revocable',
      revokedReason: 'chargeback',
      remaining: 0,
    });
    expect(grant.revokedAt).not.toBeNull();
    expect(after.status).toBe(403);
    expect(((await after.json()) as ErrorJson).error.code).toBe('grant_revoked');
  });

  it('keeps the first revocation when repeated and works without a body', async () => {
    const purchase = seedPurchase(server);

    const first = (await (
      await admin(`/api/admin/grants/${purchase.grantId}/revoke`)
    ).json()) as DownloadGrant;
    const second = await server.request(`/api/admin/grants/${purchase.grantId}/revoke`, {
      method: 'POST',
      admin: true,
    });

    expect(first.revokedReason).toBe('revoked by the owner');
    expect(second.status).toBe(200);
    expect(((await second.json()) as DownloadGrant).revokedAt).toBe(first.revokedAt);
  });

  it('answers 404 for an unknown grant and 401 without the admin token', async () => {
    const unknown = await admin('/api/admin/grants/dlg_nope/revoke');
    const anonymous = await server.request('/api/admin/grants/dlg_nope/revoke', { method: 'POST' });

    expect(unknown.status).toBe(404);
    expect(((await unknown.json()) as ErrorJson).error.code).toBe('not_found');
    expect(anonymous.status).toBe(401);
    await anonymous.arrayBuffer();
  });
});

describe('POST /api/admin/grants/:grantId/extend', () => {
  it('revives an expired link without a new token, even though the token’s own exp has passed', async () => {
    const purchase = seedPurchase(server);
    expire(purchase.grantId);
    // A link signed after expiry carries the past expiry in its JWT exp.
    const { listOrderDownloads } = await import('../../../src/services/downloads.js');
    const stale = new URL(listOrderDownloads(server.app.locals.context, purchase.orderId)[0]!.url)
      .pathname;

    const before = await download(stale);
    const res = await admin(`/api/admin/grants/${purchase.grantId}/extend`, { days: 3 });
    const grant = (await res.json()) as DownloadGrant;

    expect(before).toBe(401);
    expect(res.status).toBe(200);
    expect(Date.parse(grant.expiresAt) - Date.now()).toBeGreaterThan(3 * DAY_MS - 60_000);
    expect(grant.remaining).toBe(2);
    expect(await download(stale)).toBe(200);
    expect(await download(purchase.path)).toBe(200);
  });

  it('adds downloads to the limit so a used-up link works again', async () => {
    const purchase = seedPurchase(server);
    expect(await download(purchase.path)).toBe(200);
    expect(await download(purchase.path)).toBe(200);
    expect(await download(purchase.path)).toBe(403);

    const res = await admin(`/api/admin/grants/${purchase.grantId}/extend`, { downloads: 1 });
    const grant = (await res.json()) as DownloadGrant;

    expect(res.status).toBe(200);
    expect(grant).toMatchObject({ maxDownloads: 3, downloadsUsed: 2, remaining: 1 });
    expect(await download(purchase.path)).toBe(200);
    expect(await download(purchase.path)).toBe(403);
  });

  it.each([
    [{}],
    [{ days: 0 }],
    [{ days: 366 }],
    [{ days: 1.5 }],
    [{ downloads: 0 }],
    [{ downloads: 1001 }],
    [{ days: '3' }],
    [{ days: 3, forever: true }],
  ])('refuses %j with 400 invalid_request and changes nothing', async (body) => {
    const purchase = seedPurchase(server);
    const before = grantRow(server, purchase.grantId);

    const res = await admin(`/api/admin/grants/${purchase.grantId}/extend`, body);

    expect(res.status).toBe(400);
    expect(((await res.json()) as ErrorJson).error.code).toBe('invalid_request');
    expect(grantRow(server, purchase.grantId)).toEqual(before);
  });

  it('answers 404 for an unknown grant and 409 for a revoked one', async () => {
    const purchase = seedPurchase(server);
    await (await admin(`/api/admin/grants/${purchase.grantId}/revoke`)).arrayBuffer();

    const unknown = await admin('/api/admin/grants/dlg_nope/extend', { days: 1 });
    const revoked = await admin(`/api/admin/grants/${purchase.grantId}/extend`, { days: 1 });

    expect(unknown.status).toBe(404);
    await unknown.arrayBuffer();
    expect(revoked.status).toBe(409);
    expect(((await revoked.json()) as ErrorJson).error.code).toBe('conflict');
  });
});

describe('GET /api/admin/grants/:grantId', () => {
  it('shows the grant with a working link and its attempts, newest first, without addresses', async () => {
    const purchase = seedPurchase(server);
    expect(await download(purchase.path)).toBe(200);
    const refused = await server.request(purchase.path, {
      headers: { range: 'bytes=99999999-', 'x-forwarded-for': '198.51.100.9' },
    });
    await refused.arrayBuffer();

    const res = await server.request(`/api/admin/grants/${purchase.grantId}`, { admin: true });
    const grant = (await res.json()) as DownloadGrant & {
      attempts: { status: number; range: string | null; address: string }[];
    };

    expect(res.status).toBe(200);
    expect(grant.downloadsUsed).toBe(1);
    expect(grant.attempts.map((a) => [a.status, a.range])).toEqual([
      [416, 'bytes=99999999-'],
      [200, null],
    ]);
    expect(grant.attempts[0]!.address).toMatch(/^[0-9a-f]{12}$/);
    expect(JSON.stringify(grant)).not.toContain('198.51.100.9');
    const link = await server.request(new URL(grant.url).pathname, {
      method: 'HEAD',
      headers: { 'x-forwarded-for': nextAddress() },
    });
    expect(link.status).toBe(200);
  });
});
