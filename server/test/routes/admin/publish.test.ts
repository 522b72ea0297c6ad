import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { configurePublish, type PublishStatus } from '../../../src/services/publish.js';
import { startTestServer, type TestServer } from '../../helpers/app.js';
import { PUBLISH_SITES, waitForPublishIdle } from '../../helpers/publish.js';

describe('POST /api/admin/publish', () => {
  let server: TestServer;
  beforeAll(async () => {
    // Secrets in the server's own environment must not reach the build either.
    vi.stubEnv('STRIPE_SECRET_KEY', 'sk_test_from_the_process_env');
    vi.stubEnv('ADMIN_TOKEN', 'admin-token-from-the-process-env-0123456789');
    server = await startTestServer({
      STORE_NAME: 'Publish Test Shop',
      STRIPE_SECRET_KEY: 'sk_test_publish_secret',
      STRIPE_PUBLISHABLE_KEY: 'pk_test_publish_public',
    });
    configurePublish(server.app.locals.context, { siteRoot: path.join(PUBLISH_SITES, 'tiny') });
    const res = await server.request('/api/admin/products', {
      method: 'POST',
      admin: true,
      json: { name: 'Catalog Lamp', type: 'digital', price: { amount: 1500, currency: 'usd' } },
    });
    expect(res.status).toBe(201);
  });
  afterAll(async () => {
    vi.unstubAllEnvs();
    await server.close();
  });

  it('refuses a request without the admin token', async () => {
    const res = await server.request('/api/admin/publish', { method: 'POST' });

    expect(res.status).toBe(401);
  });

  it('reports idle before the first build, and the site says it is not published yet', async () => {
    const status = (await (
      await server.request('/api/admin/publish', { admin: true })
    ).json()) as PublishStatus;
    const page = await server.request('/');

    expect(status.state).toBe('idle');
    expect(status.lastSuccessAt).toBeNull();
    expect(page.status).toBe(503);
    expect(await page.text()).toContain('has not been published yet');
  });

  it('answers 202 at once, builds in the background and makes the build live', async () => {
    const res = await server.request('/api/admin/publish', { method: 'POST', admin: true });
    const accepted = (await res.json()) as PublishStatus;

    expect(res.status).toBe(202);
    expect(res.headers.get('location')).toBe('/api/admin/publish');
    expect(accepted.state).toBe('building');
    expect(accepted.startedAt).not.toBeNull();
    const waiting = await server.request('/');
    expect(waiting.status).toBe(503);
    expect(await waiting.text()).toContain('being built');

    const done = await waitForPublishIdle(server);

    expect(done.state).toBe('succeeded');
    expect(done.lastError).toBeNull();
    expect(done.durationMs).toBeGreaterThan(0);
    expect(done.lastSuccessAt).toBe(done.finishedAt);
    expect(done.liveBuildId).toBe(done.buildId);
    expect(done.log).toContain('astro');
    expect(done.log).toMatch(/Complete!/);
    const page = await server.request('/');
    const html = await page.text();
    expect(page.status).toBe(200);
    expect(html).toContain('Publish Test Shop');
    expect(html).toContain('Catalog Lamp');
  });

  it('gives the build the publishable key and none of the secrets', async () => {
    const html = await (await server.request('/')).text();
    const envNames = /<p id="env-names">([^<]*)<\/p>/.exec(html)?.[1] ?? '';
    const built = path.join(server.dataDir, 'site', 'current');
    const everything = fs
      .readdirSync(built, { recursive: true, withFileTypes: true })
      .filter((entry) => entry.isFile())
      .map((entry) => fs.readFileSync(path.join(entry.parentPath, entry.name), 'utf8'))
      .join('\n');

    expect(envNames.split(',')).toContain('PUBLIC_STRIPE_PUBLISHABLE_KEY');
    expect(html).toContain('pk_test_publish_public');
    for (const name of [
      'STRIPE_SECRET_KEY',
      'ADMIN_TOKEN',
      'DOWNLOAD_TOKEN_SECRET',
      'STRIPE_WEBHOOK_SECRET',
    ]) {
      expect(envNames.split(',')).not.toContain(name);
    }
    for (const secret of [
      'sk_test_publish_secret',
      'sk_test_from_the_process_env',
      server.config.adminToken,
      server.config.downloadSecret,
    ]) {
      expect(everything).not.toContain(secret);
    }
  });

  it('queues exactly one more build when asked while a build runs, and keeps two builds', async () => {
    const first = (await (
      await server.request('/api/admin/publish', { method: 'POST', admin: true })
    ).json()) as PublishStatus;
    const second = await server.request('/api/admin/publish', { method: 'POST', admin: true });
    const third = await server.request('/api/admin/publish', { method: 'POST', admin: true });
    const queued = (await second.json()) as PublishStatus;
    await third.body?.cancel();

    expect(second.status).toBe(202);
    expect(queued.state).toBe('building');
    expect(queued.buildId).toBe(first.buildId);
    expect(queued.queued).toBe(true);

    const done = await waitForPublishIdle(server);

    expect(done.state).toBe('succeeded');
    expect(done.trigger).toBe('queued');
    expect(done.buildId).not.toBe(first.buildId);
    // Three builds ran in this file so far; the live one and the one before it remain.
    const builds = fs.readdirSync(path.join(server.dataDir, 'site', 'builds')).sort();
    expect(builds).toHaveLength(2);
    expect(builds).toContain(done.buildId);
    expect(builds).toContain(first.buildId);
  });

  it('keeps the live site when a build fails, and reports why with the end of the build log', async () => {
    const before = (await (
      await server.request('/api/admin/publish', { admin: true })
    ).json()) as PublishStatus;
    configurePublish(server.app.locals.context, { siteRoot: path.join(PUBLISH_SITES, 'broken') });

    await server.request('/api/admin/publish', { method: 'POST', admin: true });
    const failed = await waitForPublishIdle(server);

    expect(failed.state).toBe('failed');
    expect(failed.lastError).toContain('astro build failed');
    expect(failed.lastError).toContain('fixture: this page fails to render on purpose');
    expect(failed.log).toContain('fixture: this page fails to render on purpose');
    expect(failed.lastSuccessAt).toBe(before.lastSuccessAt);
    expect(failed.liveBuildId).toBe(before.liveBuildId);
    expect(
      fs.existsSync(path.join(server.dataDir, 'site', 'builds', failed.buildId ?? 'none')),
    ).toBe(false);
    const page = await server.request('/');
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('Catalog Lamp');
    configurePublish(server.app.locals.context, { siteRoot: path.join(PUBLISH_SITES, 'tiny') });
  });

  it('remembers the last state across a restart of the server', async () => {
    const again = await startTestServer({}, { dataDir: server.dataDir });
    const status = (await (
      await again.request('/api/admin/publish', { admin: true })
    ).json()) as PublishStatus;
    const page = await again.request('/');

    expect(status.state).toBe('failed');
    expect(status.lastSuccessAt).not.toBeNull();
    expect(page.status).toBe(200);
    await again.close();
  });
});
