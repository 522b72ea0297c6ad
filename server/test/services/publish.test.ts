import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  activateBuild,
  buildEnvironment,
  buildFingerprint,
  checkCatalog,
  configurePublish,
  ensureSiteBuilt,
  exportCatalog,
  getPublishStatus,
  pruneBuilds,
  readLiveBuild,
  requestRepublish,
  tailOfLog,
  watchCatalog,
  whenPublishIdle,
} from '../../src/services/publish.js';
import { startTestServer, type TestServer } from '../helpers/app.js';
import { PUBLISH_SITES } from '../helpers/publish.js';

function tempDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'vitrine-publish-'));
}

function makeBuild(root: string, id: string): void {
  fs.mkdirSync(path.join(root, 'builds', id), { recursive: true });
  fs.writeFileSync(path.join(root, 'builds', id, 'index.html'), `<p>${id}</p>`);
  fs.mkdirSync(path.join(root, 'work', id), { recursive: true });
}

describe('buildEnvironment()', () => {
  const parent = {
    PATH: '/usr/bin',
    HOME: '/home/shop',
    STRIPE_SECRET_KEY: 'sk_test_secret',
    STRIPE_WEBHOOK_SECRET: 'whsec_secret',
    ADMIN_TOKEN: 'admin-token-that-is-long-enough',
    DOWNLOAD_TOKEN_SECRET: 'download-secret',
    SMTP_URL: 'smtp://user:password@mail.example',
  };

  it('passes the publishable key as Astro public env and no secret of the server', () => {
    const env = buildEnvironment(
      {
        stripe: {
          secretKey: 'sk_test_secret',
          publishableKey: 'pk_test_public',
          webhookSecret: 'whsec_secret',
        },
      },
      { catalogFile: '/data/catalog.json', cacheDir: '/data/cache' },
      parent,
    );

    expect(env.PUBLIC_STRIPE_PUBLISHABLE_KEY).toBe('pk_test_public');
    expect(env.VITRINE_CATALOG_FILE).toBe('/data/catalog.json');
    expect(env.ASTRO_TELEMETRY_DISABLED).toBe('1');
    expect(env.PATH).toBe('/usr/bin');
    const values = Object.values(env).join('\n');
    for (const secret of [
      'sk_test_secret',
      'whsec_secret',
      'admin-token-that-is-long-enough',
      'download-secret',
      'password',
    ]) {
      expect(values).not.toContain(secret);
    }
    expect(Object.keys(env)).not.toContain('STRIPE_SECRET_KEY');
  });

  it('leaves the publishable key empty when Stripe is not configured', () => {
    const env = buildEnvironment({ stripe: {} }, { catalogFile: 'c', cacheDir: 'd' }, parent);

    expect(env.PUBLIC_STRIPE_PUBLISHABLE_KEY).toBe('');
  });
});

describe('tailOfLog()', () => {
  it('keeps the last lines of a long log', () => {
    const log = Array.from({ length: 100 }, (_, i) => `line ${i}`).join('\n');

    expect(tailOfLog(log, 3)).toBe('line 97\nline 98\nline 99');
  });

  it('cuts an overlong tail at a line start', () => {
    const log = `${'a'.repeat(50)}\n${'b'.repeat(10)}\nlast`;

    // The last 20 characters start inside the line of a's; that partial line is dropped.
    expect(tailOfLog(log, 40, 20)).toBe(`${'b'.repeat(10)}\nlast`);
  });
});

describe('activateBuild()', () => {
  it('points current.json (and the current symlink) at the build, replacing the previous one', () => {
    const root = tempDir();
    makeBuild(root, '001');
    makeBuild(root, '002');

    activateBuild(root, { buildId: '001', activatedAt: 'a', fingerprint: 'f' });
    activateBuild(root, { buildId: '002', activatedAt: 'b', fingerprint: 'g' });

    expect(JSON.parse(fs.readFileSync(path.join(root, 'current.json'), 'utf8')).buildId).toBe(
      '002',
    );
    if (process.platform !== 'win32') {
      expect(fs.readFileSync(path.join(root, 'current', 'index.html'), 'utf8')).toBe('<p>002</p>');
    }
    expect(fs.readdirSync(root).filter((name) => name.endsWith('.tmp'))).toEqual([]);
    fs.rmSync(root, { recursive: true, force: true });
  });
});

describe('pruneBuilds()', () => {
  it('keeps the live build and the newest other one', () => {
    const root = tempDir();
    for (const id of ['001', '002', '003', '004']) makeBuild(root, id);
    activateBuild(root, { buildId: '003', activatedAt: 'a', fingerprint: 'f' });

    const removed = pruneBuilds(root, 2);

    expect(removed.sort()).toEqual(['001', '002']);
    expect(fs.readdirSync(path.join(root, 'builds')).sort()).toEqual(['003', '004']);
    fs.rmSync(root, { recursive: true, force: true });
  });

  it('never removes the live build even when it is the oldest', () => {
    const root = tempDir();
    for (const id of ['001', '002', '003']) makeBuild(root, id);
    activateBuild(root, { buildId: '001', activatedAt: 'a', fingerprint: 'f' });

    pruneBuilds(root, 2);

    expect(fs.readdirSync(path.join(root, 'builds')).sort()).toEqual(['001', '003']);
    fs.rmSync(root, { recursive: true, force: true });
  });
});

describe('exportCatalog()', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({
      STORE_NAME: 'Export Shop',
      STORE_CURRENCY: 'eur',
      SHIPPING_COUNTRIES: 'DE,FR',
    });
  });
  afterAll(() => server.close());

  it('holds the active products and the public store settings, nothing else', async () => {
    const active = await server.request('/api/admin/products', {
      method: 'POST',
      admin: true,
      json: {
        name: 'Shown',
        description: 'd',
        type: 'digital',
        price: { amount: 500, currency: 'eur' },
      },
    });
    expect(active.status).toBe(201);
    const hidden = await server.request('/api/admin/products', {
      method: 'POST',
      admin: true,
      json: {
        name: 'Hidden',
        type: 'digital',
        price: { amount: 500, currency: 'eur' },
        active: false,
      },
    });
    expect(hidden.status).toBe(201);

    const catalog = exportCatalog(server.app.locals.context);

    expect(catalog.version).toBe(1);
    expect(catalog.store).toEqual({
      name: 'Export Shop',
      currency: 'eur',
      shippingCountries: ['DE', 'FR'],
    });
    expect(catalog.products.map((p) => p.name)).toEqual(['Shown']);
    expect(JSON.stringify(catalog)).not.toContain('archivedAt');
  });
});

describe('buildFingerprint()', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(() => server.close());

  async function fingerprintWithStock(stock: number | null): Promise<string> {
    const { db } = server.app.locals.context;
    db.prepare("UPDATE products SET stock = ? WHERE slug = 'stocked-print'").run(stock);
    return buildFingerprint(
      server.app.locals.context,
      exportCatalog(server.app.locals.context),
      'src',
    );
  }

  it('changes when a shown stock count changes, not for every sale of a well-stocked item', async () => {
    const created = await server.request('/api/admin/products', {
      method: 'POST',
      admin: true,
      json: {
        name: 'Stocked print',
        type: 'physical',
        price: { amount: 1800, currency: 'usd' },
        physical: { sku: 'PRINT-1', weightGrams: 300, stock: 20 },
      },
    });
    expect(created.status).toBe(201);

    const twenty = await fingerprintWithStock(20);
    const nineteen = await fingerprintWithStock(19);
    const three = await fingerprintWithStock(3);
    const two = await fingerprintWithStock(2);
    const none = await fingerprintWithStock(0);

    expect(nineteen).toBe(twenty);
    expect(three).not.toBe(nineteen);
    expect(two).not.toBe(three);
    expect(none).not.toBe(two);
  });
});

describe('ensureSiteBuilt() and requestRepublish()', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ SITE_BUILD: 'auto' });
    configurePublish(server.app.locals.context, {
      siteRoot: path.join(PUBLISH_SITES, 'tiny'),
      debounceMs: 50,
      // The watcher is tested below; here it must not start builds of its own.
      watchIntervalMs: 3_600_000,
    });
  });
  afterAll(() => server.close());
  afterEach(() => vi.useRealTimers());

  it('builds at start when there is no live build, then not again while nothing changed', async () => {
    const context = server.app.locals.context;

    const started = ensureSiteBuilt(context);
    expect(started?.state).toBe('building');
    const done = await whenPublishIdle(context);
    expect(done.state).toBe('succeeded');
    const firstBuild = readLiveBuild(context)?.buildId;

    expect(ensureSiteBuilt(context)).toBeNull();
    expect(readLiveBuild(context)?.buildId).toBe(firstBuild);
  });

  it('rebuilds at start when the catalog changed since the live build', async () => {
    const context = server.app.locals.context;
    const before = readLiveBuild(context)?.buildId;
    const res = await server.request('/api/admin/products', {
      method: 'POST',
      admin: true,
      json: {
        name: 'New since the last build',
        type: 'digital',
        price: { amount: 900, currency: 'usd' },
      },
    });
    expect(res.status).toBe(201);

    expect(ensureSiteBuilt(context)?.trigger).toBe('startup: the live build is out of date');
    await whenPublishIdle(context);

    expect(readLiveBuild(context)?.buildId).not.toBe(before);
    const html = fs.readFileSync(path.join(context.paths.site, 'current', 'index.html'), 'utf8');
    expect(html).toContain('New since the last build');
  });

  it('folds a burst of catalog changes into one build', async () => {
    const context = server.app.locals.context;
    const before = getPublishStatus(context).buildId;

    requestRepublish(context, 'catalog');
    requestRepublish(context, 'catalog');
    requestRepublish(context, 'catalog');
    const deadline = Date.now() + 10_000;
    while (getPublishStatus(context).buildId === before && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const status = await whenPublishIdle(context);

    expect(status.state).toBe('succeeded');
    expect(status.trigger).toBe('catalog');
    expect(status.buildId).not.toBe(before);
  });

  it('does nothing with SITE_BUILD=off', async () => {
    const off = await startTestServer();
    vi.useFakeTimers();

    expect(ensureSiteBuilt(off.app.locals.context)).toBeNull();
    requestRepublish(off.app.locals.context);

    expect(vi.getTimerCount()).toBe(0);
    expect(getPublishStatus(off.app.locals.context).state).toBe('idle');
    vi.useRealTimers();
    await off.close();
  });
});

describe('checkCatalog() and watchCatalog()', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ SITE_BUILD: 'auto' });
    configurePublish(server.app.locals.context, {
      siteRoot: path.join(PUBLISH_SITES, 'tiny'),
      watchIntervalMs: 100,
    });
  });
  afterAll(() => server.close());

  async function addProduct(name: string): Promise<void> {
    const res = await server.request('/api/admin/products', {
      method: 'POST',
      admin: true,
      json: { name, type: 'digital', price: { amount: 700, currency: 'usd' } },
    });
    expect(res.status).toBe(201);
  }

  function liveHtml(): string {
    return fs.readFileSync(
      path.join(server.app.locals.context.paths.site, 'current', 'index.html'),
      'utf8',
    );
  }

  it('publishes when the catalog differs from the live site, and then reports it up to date', async () => {
    const context = server.app.locals.context;
    await addProduct('Checked Vase');

    expect(checkCatalog(context)).toBe('started');
    expect(checkCatalog(context)).toBe('busy');
    await whenPublishIdle(context);

    expect(checkCatalog(context)).toBe('up-to-date');
    expect(liveHtml()).toContain('Checked Vase');
  });

  it('does not retry by itself a catalog whose build failed, but builds the next change', async () => {
    const context = server.app.locals.context;
    configurePublish(context, { siteRoot: path.join(PUBLISH_SITES, 'broken') });
    await addProduct('Breaks The Build');

    expect(checkCatalog(context)).toBe('started');
    expect((await whenPublishIdle(context)).state).toBe('failed');
    expect(checkCatalog(context)).toBe('failed-before');

    configurePublish(context, { siteRoot: path.join(PUBLISH_SITES, 'tiny') });
    await addProduct('Fixed Afterwards');
    expect(checkCatalog(context)).toBe('started');
    expect((await whenPublishIdle(context)).state).toBe('succeeded');
    expect(liveHtml()).toContain('Fixed Afterwards');
  });

  it('notices an admin change on its own and republishes', async () => {
    const context = server.app.locals.context;
    watchCatalog(context);
    await addProduct('Seen By The Watcher');

    const deadline = Date.now() + 60_000;
    while (!liveHtml().includes('Seen By The Watcher') && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }

    expect(liveHtml()).toContain('Seen By The Watcher');
    expect(getPublishStatus(context).trigger).toBe('catalog');
  });
});
