import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import jwt from 'jsonwebtoken';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeApp, createApp } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import {
  attachmentDisposition,
  FAILURE_LIMIT,
  FailureLimiter,
  parseRange,
  RESUME_BUDGET_FACTOR,
  RESUME_COST_DIVISOR,
} from '../../src/routes/downloads.js';
import { hashAddress } from '../../src/services/downloads.js';
import { ADMIN_TOKEN, startTestServer, type TestServer } from '../helpers/app.js';
import { fixturePath, HAS_FIXTURES, SKIP_NOTE } from '../helpers/fixtures.js';
import { grantRow, nextAddress, seedPurchase, waitFor } from '../helpers/grants.js';

interface ErrorJson {
  error: { code: string; message: string };
}

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({ DOWNLOAD_LIMIT: '5' });
});
afterAll(() => server.close());

/** GET (or another method) as a given client address. */
function download(
  pathname: string,
  init: { ip?: string; headers?: Record<string, string>; method?: string } = {},
): Promise<Response> {
  return server.request(pathname, {
    method: init.method ?? 'GET',
    headers: { 'x-forwarded-for': init.ip ?? nextAddress(), ...init.headers },
  });
}

async function bodyOf(res: Response): Promise<Buffer> {
  return Buffer.from(await res.arrayBuffer());
}

/** The filename a client takes from Content-Disposition: `filename*` first (RFC 6266 §4.3). */
function filenameFrom(header: string): string {
  const extended = /filename\*=UTF-8''([^;]+)/i.exec(header);
  if (extended) return decodeURIComponent(extended[1]!);
  return /filename="([^"]*)"/.exec(header)![1]!;
}

function attemptsOf(grantId: string) {
  return server.app.locals.context.db
    .prepare('SELECT * FROM download_attempts WHERE grant_id = ? ORDER BY id')
    .all(grantId) as {
    status: number;
    bytes: number;
    range_header: string | null;
    ip_hash: string;
  }[];
}

function base64url(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

describe('GET /api/downloads/:token', () => {
  it('streams the whole file, byte-identical to the stored original, with the download headers', async () => {
    const purchase = seedPurchase(server);

    const res = await download(purchase.path);
    const body = await bodyOf(res);

    expect(res.status).toBe(200);
    expect(body.equals(purchase.bytes)).toBe(true);
    expect(res.headers.get('content-type')).toBe('model/gltf-binary');
    expect(res.headers.get('content-length')).toBe(String(purchase.bytes.length));
    expect(res.headers.get('accept-ranges')).toBe('bytes');
    expect(res.headers.get('cache-control')).toBe('private, no-store');
    expect(res.headers.get('referrer-policy')).toBe('no-referrer');
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    const sha256 = crypto.createHash('sha256').update(purchase.bytes).digest('hex');
    expect(res.headers.get('etag')).toBe(`"${sha256}"`);
    expect(res.headers.get('content-disposition')).toMatch(/^attachment; /);
  });

  it('reads the original from a path stored relative to the originals folder', async () => {
    const purchase = seedPurchase(server, { pathStyle: 'relative' });

    const res = await download(purchase.path);

    expect(res.status).toBe(200);
    expect((await bodyOf(res)).equals(purchase.bytes)).toBe(true);
  });

  it('names the file after the product so that a non-ASCII name parses back intact', async () => {
    const purchase = seedPurchase(server, { name: 'Kristall Würfel' });

    const res = await download(purchase.path);
    await res.arrayBuffer();
    const header = res.headers.get('content-disposition')!;

    expect(filenameFrom(header)).toBe('Kristall Würfel.glb');
    expect(header).toContain('filename="Kristall Wurfel.glb"');
    expect(header).toContain("filename*=UTF-8''Kristall%20W%C3%BCrfel.glb");
  });

  it('sends 206 with Content-Range for a first, middle, open-ended and suffix range', async () => {
    const purchase = seedPurchase(server);
    const size = purchase.bytes.length;
    const cases = [
      { range: 'bytes=0-99', start: 0, end: 99 },
      { range: 'bytes=1000-1999', start: 1000, end: 1999 },
      { range: `bytes=${size - 300}-`, start: size - 300, end: size - 1 },
      { range: 'bytes=-500', start: size - 500, end: size - 1 },
      { range: `bytes=10-${size + 5000}`, start: 10, end: size - 1 },
    ];

    for (const { range, start, end } of cases) {
      const res = await download(purchase.path, { headers: { range } });
      const body = await bodyOf(res);

      expect(res.status, range).toBe(206);
      expect(res.headers.get('content-range'), range).toBe(`bytes ${start}-${end}/${size}`);
      expect(res.headers.get('content-length'), range).toBe(String(end - start + 1));
      expect(body.equals(purchase.bytes.subarray(start, end + 1)), range).toBe(true);
    }
  });

  it('answers 416 with the size in Content-Range when the range starts past the end', async () => {
    const purchase = seedPurchase(server);
    const size = purchase.bytes.length;

    const beyond = await download(purchase.path, { headers: { range: `bytes=${size}-` } });
    const zeroSuffix = await download(purchase.path, { headers: { range: 'bytes=-0' } });

    expect(beyond.status).toBe(416);
    expect(beyond.headers.get('content-range')).toBe(`bytes */${size}`);
    expect(((await beyond.json()) as ErrorJson).error.code).toBe('range_not_satisfiable');
    expect(zeroSuffix.status).toBe(416);
    await zeroSuffix.arrayBuffer();
    expect(grantRow(server, purchase.grantId).downloads_used).toBe(0);
  });

  it('sends the whole file for several ranges, another unit or a malformed Range', async () => {
    const purchase = seedPurchase(server, { name: 'Ranges' });
    server.app.locals.context.db
      .prepare('UPDATE download_grants SET max_downloads = 20 WHERE id = ?')
      .run(purchase.grantId);

    for (const range of ['bytes=0-1,5-9', 'items=0-5', 'bytes=9-3', 'bytes=abc', 'bytes=']) {
      const res = await download(purchase.path, { headers: { range } });
      const body = await bodyOf(res);

      expect(res.status, range).toBe(200);
      expect(res.headers.get('content-range'), range).toBeNull();
      expect(body.equals(purchase.bytes), range).toBe(true);
    }
  });

  it('honours If-Range only when it carries the current ETag', async () => {
    const purchase = seedPurchase(server);
    const etag = `"${crypto.createHash('sha256').update(purchase.bytes).digest('hex')}"`;

    const matching = await download(purchase.path, {
      headers: { range: 'bytes=0-9', 'if-range': etag },
    });
    const stale = await download(purchase.path, {
      headers: { range: 'bytes=0-9', 'if-range': '"0000"' },
    });

    expect(matching.status).toBe(206);
    expect((await bodyOf(matching)).length).toBe(10);
    expect(stale.status).toBe(200);
    expect((await bodyOf(stale)).equals(purchase.bytes)).toBe(true);
  });

  it('answers HEAD with the headers and no body, without counting a download', async () => {
    const purchase = seedPurchase(server);

    const res = await download(purchase.path, { method: 'HEAD' });

    expect(res.status).toBe(200);
    expect(res.headers.get('content-length')).toBe(String(purchase.bytes.length));
    expect((await bodyOf(res)).length).toBe(0);
    expect(grantRow(server, purchase.grantId).downloads_used).toBe(0);
  });

  it('counts a download that is resumed from the middle only once', async () => {
    const purchase = seedPurchase(server);
    const half = Math.floor(purchase.bytes.length / 2);

    const full = await download(purchase.path);
    await full.arrayBuffer();
    const resumed = await download(purchase.path, { headers: { range: `bytes=${half}-` } });
    const rest = await bodyOf(resumed);

    expect(full.status).toBe(200);
    expect(resumed.status).toBe(206);
    expect(rest.equals(purchase.bytes.subarray(half))).toBe(true);
    expect(grantRow(server, purchase.grantId).downloads_used).toBe(1);
  });

  it('counts a Range that starts at byte 0 as a download', async () => {
    const purchase = seedPurchase(server);

    const res = await download(purchase.path, { headers: { range: 'bytes=0-0' } });
    await res.arrayBuffer();

    expect(res.status).toBe(206);
    expect(grantRow(server, purchase.grantId).downloads_used).toBe(1);
  });

  it('counts resumes once they carry more than the resume allowance of one download', async () => {
    const purchase = seedPurchase(server);
    const size = purchase.bytes.length;
    const first = await download(purchase.path);
    await first.arrayBuffer();
    const tail = size - 1;
    // Each "resume from byte 1" takes almost a whole file; the allowance covers this many.
    const free = Math.floor((RESUME_BUDGET_FACTOR * size) / tail);

    for (let i = 0; i < free; i += 1) {
      const res = await download(purchase.path, { headers: { range: 'bytes=1-' } });
      await res.arrayBuffer();
      expect(res.status).toBe(206);
    }
    expect(grantRow(server, purchase.grantId).downloads_used).toBe(1);
    const beyond = await download(purchase.path, { headers: { range: 'bytes=1-' } });
    await beyond.arrayBuffer();

    expect(beyond.status).toBe(206);
    expect(grantRow(server, purchase.grantId).downloads_used).toBe(2);
  });

  it('charges each resume at least a share of the file, so tiny ranges cannot resume without end', async () => {
    // Every request adds an attempt row that each later resume reads: one-byte resumes that
    // cost one byte would let a link make millions of free requests, each slower than the last.
    const purchase = seedPurchase(server);
    const first = await download(purchase.path);
    await first.arrayBuffer();
    const free = RESUME_BUDGET_FACTOR * RESUME_COST_DIVISOR;

    for (let i = 0; i < free; i += 1) {
      const res = await download(purchase.path, { headers: { range: 'bytes=1-1' } });
      await res.arrayBuffer();
      expect(res.status).toBe(206);
    }
    expect(grantRow(server, purchase.grantId).downloads_used).toBe(1);
    const beyond = await download(purchase.path, { headers: { range: 'bytes=1-1' } });
    await beyond.arrayBuffer();

    expect(beyond.status).toBe(206);
    expect(grantRow(server, purchase.grantId).downloads_used).toBe(2);
  });

  it('counts a resume as a download when no download was counted before it', async () => {
    const purchase = seedPurchase(server);

    const res = await download(purchase.path, { headers: { range: 'bytes=100-' } });
    await res.arrayBuffer();

    expect(res.status).toBe(206);
    expect(grantRow(server, purchase.grantId).downloads_used).toBe(1);
  });

  it('refuses a resume with 403 when it would count and no download is left', async () => {
    const purchase = seedPurchase(server);
    server.app.locals.context.db
      .prepare('UPDATE download_grants SET downloads_used = max_downloads WHERE id = ?')
      .run(purchase.grantId);
    // The allowance (2 × size per counted download) is used up by earlier resumes.
    server.app.locals.context.db
      .prepare(
        `INSERT INTO download_attempts (grant_id, at, status, bytes, range_header, ip_hash)
         VALUES (?, ?, 206, ?, 'bytes=1-', 'x')`,
      )
      .run(purchase.grantId, new Date().toISOString(), purchase.bytes.length * 10);

    const res = await download(purchase.path, { headers: { range: 'bytes=100-' } });

    expect(res.status).toBe(403);
    expect(((await res.json()) as ErrorJson).error.code).toBe('download_limit_reached');
  });

  it('answers 403 download_limit_reached once every allowed download is used', async () => {
    const purchase = seedPurchase(server);

    for (let i = 0; i < 5; i += 1) {
      const ok = await download(purchase.path);
      await ok.arrayBuffer();
      expect(ok.status).toBe(200);
    }
    const refused = await download(purchase.path);

    expect(refused.status).toBe(403);
    expect(((await refused.json()) as ErrorJson).error.code).toBe('download_limit_reached');
    expect(grantRow(server, purchase.grantId).downloads_used).toBe(5);
  });

  it('serves exactly the remaining downloads to 10 parallel requests', async () => {
    const purchase = seedPurchase(server, { bytes: crypto.randomBytes(512 * 1024) });

    const responses = await Promise.all(Array.from({ length: 10 }, () => download(purchase.path)));
    const bodies = await Promise.all(responses.map(bodyOf));
    const statuses = responses.map((r) => r.status).sort();

    expect(statuses).toEqual([200, 200, 200, 200, 200, 403, 403, 403, 403, 403]);
    responses.forEach((res, i) => {
      if (res.status === 200) expect(bodies[i]!.equals(purchase.bytes)).toBe(true);
    });
    expect(grantRow(server, purchase.grantId).downloads_used).toBe(5);
  });

  it('answers 401 invalid_token once the grant has expired', async () => {
    const purchase = seedPurchase(server);
    server.app.locals.context.db
      .prepare('UPDATE download_grants SET expires_at = ? WHERE id = ?')
      .run(new Date(Date.now() - 1000).toISOString(), purchase.grantId);

    const res = await download(purchase.path);

    expect(res.status).toBe(401);
    expect(((await res.json()) as ErrorJson).error.code).toBe('invalid_token');
  });

  it('answers 403 grant_revoked for a revoked grant', async () => {
    const purchase = seedPurchase(server);
    server.app.locals.context.db
      .prepare("UPDATE download_grants SET revoked_at = ?, revoked_reason = 'refund' WHERE id = ?")
      .run(new Date().toISOString(), purchase.grantId);

    const res = await download(purchase.path);

    expect(res.status).toBe(403);
    expect(((await res.json()) as ErrorJson).error.code).toBe('grant_revoked');
  });

  it('rejects forged tokens: tampered, alg none, HS512 with the same secret, wrong audience or issuer', async () => {
    const purchase = seedPurchase(server);
    const other = seedPurchase(server);
    const secret = server.config.downloadSecret;
    const [header, , signature] = purchase.token.split('.');
    const claims = jwt.decode(purchase.token) as jwt.JwtPayload;
    const forged = {
      // Another grant's id under this token's signature.
      tampered: `${header}.${base64url({ ...claims, jti: other.grantId })}.${signature}`,
      none: `${base64url({ alg: 'none', typ: 'JWT' })}.${base64url(claims)}.`,
      hs512: jwt.sign(claims, secret, { algorithm: 'HS512' }),
      audience: jwt.sign({ ...claims, aud: 'vitrine-admin' }, secret, { algorithm: 'HS256' }),
      issuer: jwt.sign({ ...claims, iss: 'someone-else' }, secret, { algorithm: 'HS256' }),
      otherSecret: jwt.sign(claims, crypto.randomBytes(48).toString('base64url'), {
        algorithm: 'HS256',
      }),
      noJti: jwt.sign({ ...claims, jti: undefined }, secret, { algorithm: 'HS256' }),
      garbage: 'not-a-token',
    };

    for (const [kind, token] of Object.entries(forged)) {
      const res = await download(`/api/downloads/${token}`);
      const body = (await res.json()) as ErrorJson;

      expect(res.status, kind).toBe(401);
      expect(body.error.code, kind).toBe('invalid_token');
    }
    expect(grantRow(server, other.grantId).downloads_used).toBe(0);
    const genuine = await download(purchase.path);
    await genuine.arrayBuffer();
    expect(genuine.status).toBe(200);
  });

  it('answers 404 without using up a download when the original is missing on disk', async () => {
    const purchase = seedPurchase(server);
    fs.rmSync(purchase.filePath);

    const res = await download(purchase.path);

    expect(res.status).toBe(404);
    expect(((await res.json()) as ErrorJson).error.code).toBe('not_found');
    expect(grantRow(server, purchase.grantId).downloads_used).toBe(0);
  });

  it('refuses a model path that points outside the originals folder', async () => {
    const purchase = seedPurchase(server);
    const { db } = server.app.locals.context;
    db.prepare(
      'UPDATE models SET original_path = ? WHERE id = (SELECT model_id FROM download_grants WHERE id = ?)',
    ).run('../../store.db', purchase.grantId);

    const res = await download(purchase.path);
    const body = await bodyOf(res);

    expect(res.status).toBe(404);
    expect(body.includes('SQLite format 3')).toBe(false);
  });

  it('never lets the URL path pick a file', async () => {
    const purchase = seedPurchase(server);
    const { port } = new URL(server.url);
    const paths = [
      '/api/downloads/../../store.db',
      '/api/downloads/..%2F..%2Fstore.db',
      '/api/downloads/%2e%2e%2f%2e%2e%2fstore.db',
      '/api/downloads/..%5C..%5Cstore.db',
      `/api/downloads/${purchase.token}/../../../store.db`,
      `/api/downloads/${purchase.token}%2F..%2F..%2Fstore.db`,
      '/api/downloads/%2Fetc%2Fpasswd',
      '/api/downloads/',
    ];

    for (const rawPath of paths) {
      // node:http sends the path as written; fetch would normalise the dots away first.
      const { status, body } = await new Promise<{ status: number; body: Buffer }>(
        (resolve, reject) => {
          const req = http.request(
            {
              host: '127.0.0.1',
              port: Number(port),
              path: rawPath,
              headers: { 'x-forwarded-for': nextAddress() },
            },
            (res) => {
              const chunks: Buffer[] = [];
              res.on('data', (chunk: Buffer) => chunks.push(chunk));
              res.on('end', () =>
                resolve({ status: res.statusCode!, body: Buffer.concat(chunks) }),
              );
            },
          );
          req.on('error', reject);
          req.end();
        },
      );

      expect([401, 404], rawPath).toContain(status);
      expect(body.includes('SQLite format 3'), rawPath).toBe(false);
      expect(body.includes('root:'), rawPath).toBe(false);
      expect(body.includes(purchase.bytes.subarray(0, 64)), rawPath).toBe(false);
    }
    expect(grantRow(server, purchase.grantId).downloads_used).toBe(0);
  });

  it('logs every attempt with the bytes sent and a salted hash of the address, never the address', async () => {
    const purchase = seedPurchase(server);
    const ip = '198.51.100.77';

    const ok = await download(purchase.path, { ip });
    await ok.arrayBuffer();
    const partial = await download(purchase.path, { ip, headers: { range: 'bytes=100-199' } });
    await partial.arrayBuffer();
    const refused = await download(purchase.path, { ip, headers: { range: 'bytes=999999999-' } });
    await refused.arrayBuffer();
    await waitFor(() => attemptsOf(purchase.grantId)[0]?.bytes === purchase.bytes.length);
    const attempts = attemptsOf(purchase.grantId);

    expect(attempts.map((a) => [a.status, a.bytes, a.range_header])).toEqual([
      [200, purchase.bytes.length, null],
      [206, 100, 'bytes=100-199'],
      [416, 0, 'bytes=999999999-'],
    ]);
    const expectedHash = hashAddress(server.config, ip);
    expect(attempts.every((a) => a.ip_hash === expectedHash)).toBe(true);
    expect(expectedHash).not.toContain(ip);
    expect(expectedHash).not.toBe(crypto.createHash('sha256').update(ip).digest('hex'));

    const dbFiles = fs
      .readdirSync(server.dataDir)
      .filter((name) => name.startsWith('store.db'))
      .map((name) => fs.readFileSync(path.join(server.dataDir, name)));
    expect(dbFiles.length).toBeGreaterThan(0);
    for (const bytes of dbFiles) {
      expect(bytes.includes(ip)).toBe(false);
      expect(bytes.includes('127.0.0.1')).toBe(false);
    }
  });

  it('records the bytes actually sent when the client stops reading mid-file', async () => {
    const purchase = seedPurchase(server, {
      // Larger than loopback socket buffers on both ends, so the server cannot finish early.
      bytes: crypto.randomBytes(32 * 1024 * 1024),
    });
    const controller = new AbortController();

    const res = await server.request(purchase.path, {
      headers: { 'x-forwarded-for': nextAddress() },
      signal: controller.signal,
    });
    const reader = res.body!.getReader();
    await reader.read();
    controller.abort();
    await waitFor(() => {
      const attempt = attemptsOf(purchase.grantId)[0];
      return attempt !== undefined && attempt.bytes < purchase.bytes.length;
    });

    expect(res.status).toBe(200);
    expect(attemptsOf(purchase.grantId)[0]!.bytes).toBeGreaterThan(0);
    expect(grantRow(server, purchase.grantId).downloads_used).toBe(1);
  });
});

describe('GET /api/downloads/:token rate limiting', () => {
  it(`answers 429 with Retry-After after ${FAILURE_LIMIT} failures from one address, even for a good link`, async () => {
    const purchase = seedPurchase(server);
    const ip = nextAddress();
    const size = purchase.bytes.length;

    for (let i = 0; i < FAILURE_LIMIT; i += 1) {
      const failure = i % 2 === 0 ? '/api/downloads/bad-token' : purchase.path;
      const res = await download(failure, {
        ip,
        headers: i % 2 === 0 ? {} : { range: `bytes=${size}-` },
      });
      await res.arrayBuffer();
      expect([401, 416]).toContain(res.status);
    }
    const limited = await download(purchase.path, { ip });
    const elsewhere = await download(purchase.path, { ip: nextAddress() });
    await elsewhere.arrayBuffer();

    expect(limited.status).toBe(429);
    expect(((await limited.json()) as ErrorJson).error.code).toBe('rate_limited');
    const retryAfter = Number(limited.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(600);
    expect(elsewhere.status).toBe(200);
    expect(grantRow(server, purchase.grantId).downloads_used).toBe(1);
  });

  it('refuses a limited address without writing a row per request, so a flood cannot fill the disk', async () => {
    const ip = nextAddress();
    const ipHash = hashAddress(server.config, ip);
    for (let i = 0; i < FAILURE_LIMIT; i += 1) {
      const res = await download('/api/downloads/bad-token', { ip });
      await res.arrayBuffer();
    }

    for (let i = 0; i < 50; i += 1) {
      const res = await download('/api/downloads/bad-token', { ip });
      await res.arrayBuffer();
      expect(res.status).toBe(429);
    }
    const rows = server.app.locals.context.db
      .prepare(
        'SELECT status, COUNT(*) AS n FROM download_attempts WHERE ip_hash = ? GROUP BY status',
      )
      .all(ipHash);

    expect(rows).toEqual([{ status: 401, n: FAILURE_LIMIT }]);
  });

  it('does not count successful downloads against an address', async () => {
    const purchase = seedPurchase(server);
    server.app.locals.context.db
      .prepare('UPDATE download_grants SET max_downloads = 100 WHERE id = ?')
      .run(purchase.grantId);
    const ip = nextAddress();

    for (let i = 0; i < FAILURE_LIMIT + 5; i += 1) {
      const res = await download(purchase.path, { ip });
      await res.arrayBuffer();
      expect(res.status).toBe(200);
    }
    const failure = await download('/api/downloads/bad-token', { ip });

    expect(failure.status).toBe(401);
    await failure.arrayBuffer();
  });
});

describe('GET /api/downloads/:token logging', () => {
  it('never writes a whole token to the log', async () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk, _encoding, done) {
        lines.push(String(chunk));
        done();
      },
    });
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'vitrine-dl-log-'));
    const config = loadConfig({
      NODE_ENV: 'test',
      DATA_DIR: dataDir,
      ADMIN_TOKEN,
      SITE_BUILD: 'off',
    });
    const app = createApp(config, { logger: pino({ level: 'trace' }, sink), background: false });
    const listener = await new Promise<http.Server>((resolve) => {
      const s = app.listen(0, '127.0.0.1', () => resolve(s));
    });
    const base = `http://127.0.0.1:${(listener.address() as AddressInfo).port}`;
    try {
      const purchase = seedPurchase({ app, config, url: base } as TestServer);

      const ok = await fetch(base + purchase.path);
      await ok.arrayBuffer();
      const bad = await fetch(`${base}${purchase.path}x`);
      await bad.arrayBuffer();
      await waitFor(() => lines.some((line) => line.includes('download served')));

      expect(ok.status).toBe(200);
      expect(bad.status).toBe(401);
      const log = lines.join('');
      expect(log).toContain('"area":"downloads"');
      expect(log).not.toContain(purchase.token);
      expect(log).not.toContain(purchase.token.split('.')[2]!);
    } finally {
      listener.closeAllConnections();
      await new Promise<void>((resolve) => listener.close(() => resolve()));
      await closeApp(app);
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

describe.skipIf(!HAS_FIXTURES)(`GET /api/downloads/:token with a real model${SKIP_NOTE}`, () => {
  it('serves Duck.glb byte for byte and resumes it from the middle', async () => {
    const bytes = fs.readFileSync(fixturePath('models', 'Duck.glb'));
    const purchase = seedPurchase(server, { name: 'Duck', bytes });

    const full = await download(purchase.path);
    const resumed = await download(purchase.path, { headers: { range: 'bytes=60000-' } });

    expect(full.status).toBe(200);
    expect((await bodyOf(full)).equals(bytes)).toBe(true);
    expect(resumed.status).toBe(206);
    expect((await bodyOf(resumed)).equals(bytes.subarray(60000))).toBe(true);
    expect(bytes.subarray(0, 4).toString('latin1')).toBe('glTF');
  });
});

describe('parseRange()', () => {
  it.each([
    ['bytes=0-9', 100, { kind: 'range', start: 0, end: 9 }],
    ['bytes=90-', 100, { kind: 'range', start: 90, end: 99 }],
    ['bytes=-10', 100, { kind: 'range', start: 90, end: 99 }],
    ['bytes=-1000', 100, { kind: 'range', start: 0, end: 99 }],
    ['BYTES = 5-5', 100, { kind: 'range', start: 5, end: 5 }],
    ['bytes=0-9, ', 100, { kind: 'range', start: 0, end: 9 }],
    ['bytes=99-1000', 100, { kind: 'range', start: 99, end: 99 }],
    ['bytes=100-', 100, { kind: 'unsatisfiable' }],
    ['bytes=-0', 100, { kind: 'unsatisfiable' }],
    ['bytes=0-', 0, { kind: 'unsatisfiable' }],
    ['bytes=-5', 0, { kind: 'unsatisfiable' }],
    [`bytes=${'9'.repeat(400)}-`, 100, { kind: 'unsatisfiable' }],
    ['bytes=0-1,3-4', 100, { kind: 'ignored' }],
    ['bytes=5-1', 100, { kind: 'ignored' }],
    ['bytes=a-b', 100, { kind: 'ignored' }],
    ['bytes=--1', 100, { kind: 'ignored' }],
    ['pages=0-1', 100, { kind: 'ignored' }],
    ['', 100, { kind: 'ignored' }],
  ])('reads %j against %i bytes', (header, size, expected) => {
    expect(parseRange(header, size)).toEqual(expected);
  });
});

describe('attachmentDisposition()', () => {
  it.each([
    ['Kristall Würfel', 'Kristall Wurfel.glb', 'Kristall Würfel.glb'],
    ['猫の置物', '____.glb', '猫の置物.glb'],
    ['say "hi"\r\nSet-Cookie: x=1', 'say hi Set-Cookie x=1.glb', 'say hi Set-Cookie x=1.glb'],
    ['../../etc/passwd', 'etc passwd.glb', 'etc passwd.glb'],
    ['C:\\Windows\\evil', 'C Windows evil.glb', 'C Windows evil.glb'],
    ['100% (final)', '100_ (final).glb', '100% (final).glb'],
    ['model.GLB', 'model.GLB', 'model.GLB'],
    ['   ', 'model.glb', 'model.glb'],
  ])('turns %j into a safe ASCII fallback and a UTF-8 filename*', (name, ascii, utf8) => {
    const header = attachmentDisposition(name, '.glb');

    expect(header).not.toMatch(/[\r\n]/);
    expect(header).toContain(`filename="${ascii}"`);
    expect(filenameFrom(header)).toBe(utf8);
    expect(header.split('filename*=')[1]).toMatch(/^UTF-8''[A-Za-z0-9!#$&+\-.^_`|~%]+$/);
  });
});

describe('FailureLimiter', () => {
  it('limits an address inside the window and frees it as failures age out', () => {
    let clock = 1_000_000;
    const limiter = new FailureLimiter(3, 60_000, () => clock);

    limiter.recordFailure('a');
    clock += 10_000;
    limiter.recordFailure('a');
    limiter.recordFailure('a');

    expect(limiter.retryAfterSeconds('a')).toBe(50);
    expect(limiter.retryAfterSeconds('b')).toBe(0);
    clock += 50_000;
    expect(limiter.retryAfterSeconds('a')).toBe(0);
  });
});
