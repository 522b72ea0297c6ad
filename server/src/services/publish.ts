import { spawn, type ChildProcess } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { LOW_STOCK_THRESHOLD, type Product, type PublishState } from '@vitrine/shared';
import { REPO_ROOT, type Config } from '../config.js';
import type { AppContext } from '../context.js';
import { listActiveProducts } from './catalog.js';

/**
 * Publishing the static site. `startPublish` writes a catalog export into a fresh build
 * workspace and runs `astro build` in a child process into `DATA_DIR/site/builds/<id>`. Only when
 * that build succeeds does `current.json` (and, on POSIX, the `current` symlink) move to it, by
 * rename, so a failed or half-written build never replaces the live site. One build runs at a
 * time; a request during a build queues exactly one more, which exports the catalog afresh.
 *
 * Layout under DATA_DIR/site:
 *   builds/<id>/       Astro output, served by routes/site.ts
 *   work/<id>/         catalog.json, build.log and Astro's cache for that build
 *   current.json       { buildId, … } of the live build (the source of truth)
 *   current -> builds/<id>   convenience symlink for a web server in front (POSIX only)
 *   publish.json       the last PublishState, so it survives a restart
 */

/** What the site build reads (site/src/lib/catalog.ts validates the same shape). */
export interface CatalogExport {
  version: 1;
  generatedAt: string;
  store: { name: string; currency: string; shippingCountries: string[] };
  products: Product[];
}

/** PublishState plus what the desktop app shows next to it. */
export interface PublishStatus extends PublishState {
  /** The build running now, or the last one that ran. */
  buildId: string | null;
  /** The build the site serves. */
  liveBuildId: string | null;
  /** A further build will start when the running one ends. */
  queued: boolean;
  /** Why the running or last build started: `admin`, `startup`, `catalog`, … */
  trigger: string | null;
}

export interface PublishOptions {
  /** The Astro project to build; tests point this at small fixture sites. */
  siteRoot?: string;
  /** A build running longer than this is stopped and reported as failed. */
  timeoutMs?: number;
  /** Builds kept on disk: the live one and the one before it, for an instant rollback. */
  keepBuilds?: number;
  /** Delay of `requestRepublish`, which folds a burst of catalog edits into one build. */
  debounceMs?: number;
  /** How often `watchCatalog` compares the catalog with the live build. */
  watchIntervalMs?: number;
}

interface LiveBuild {
  buildId: string;
  activatedAt: string;
  /** Hash of what the build was made from: catalog export, public settings, site sources. */
  fingerprint: string;
}

interface Publisher {
  context: AppContext;
  options: Required<PublishOptions>;
  status: PublishStatus;
  child: ChildProcess | null;
  running: Promise<void> | null;
  debounce: NodeJS.Timeout | null;
  watcher: NodeJS.Timeout | null;
  /** Fingerprint of the last build that ran, and whether it failed (no automatic retries of it). */
  lastAttempt: { fingerprint: string; failed: boolean } | null;
  /** Hash of the site sources, per site root: they do not change while the server runs. */
  sourceHashes: Map<string, string>;
  closed: boolean;
  /** Resolvers waiting for the publisher to go idle. */
  idleWaiters: Array<() => void>;
}

const LOG_TAIL_LINES = 40;
const LOG_TAIL_CHARS = 4000;
const publishers = new WeakMap<AppContext, Publisher>();

const DEFAULT_OPTIONS: Required<PublishOptions> = {
  siteRoot: path.join(REPO_ROOT, 'site'),
  timeoutMs: 10 * 60_000,
  keepBuilds: 2,
  debounceMs: 2000,
  watchIntervalMs: 5000,
};

function siteDir(context: AppContext): string {
  return context.paths.site;
}

function readJson<T>(file: string): T | null {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as T;
  } catch {
    return null;
  }
}

/** Writes a file by rename, so a reader sees the old or the new content, never half of one. */
function writeFileAtomic(file: string, content: string): void {
  const tmp = `${file}.${process.pid}.${crypto.randomBytes(4).toString('hex')}.tmp`;
  fs.writeFileSync(tmp, content);
  fs.renameSync(tmp, file);
}

/** The live build as `current.json` names it, if its folder still exists. */
export function readLiveBuild(context: AppContext): LiveBuild | null {
  const live = readJson<LiveBuild>(path.join(siteDir(context), 'current.json'));
  if (!live || typeof live.buildId !== 'string' || !/^[\w.-]+$/.test(live.buildId)) return null;
  return fs.existsSync(path.join(siteDir(context), 'builds', live.buildId, 'index.html'))
    ? live
    : null;
}

/** Folder of the live build, or null before the first successful publish. */
export function liveBuildDir(context: AppContext): string | null {
  const live = readLiveBuild(context);
  return live ? path.join(siteDir(context), 'builds', live.buildId) : null;
}

/**
 * The catalog snapshot a build is made from: active products and the store's public settings.
 * Nothing secret belongs here; it ends up in public HTML.
 */
export function exportCatalog(context: AppContext): CatalogExport {
  const { config } = context;
  return {
    version: 1,
    generatedAt: new Date().toISOString(),
    store: {
      name: config.storeName,
      currency: config.currency,
      shippingCountries: [...config.shipping.countries],
    },
    products: listActiveProducts(context),
  };
}

/**
 * The environment of the build process: an allow-list, never `process.env` as a whole, so
 * STRIPE_SECRET_KEY, ADMIN_TOKEN and friends cannot reach the build or the HTML it writes. The
 * publishable key travels as Astro public env (PUBLIC_…), which is meant for browsers.
 */
export function buildEnvironment(
  config: Pick<Config, 'stripe'>,
  files: { catalogFile: string; cacheDir: string },
  parent: NodeJS.ProcessEnv = process.env,
): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const name of [
    'PATH',
    'Path',
    'HOME',
    'USERPROFILE',
    'TMPDIR',
    'TEMP',
    'TMP',
    'LANG',
    'LC_ALL',
    'SystemRoot',
    'ComSpec',
    'PATHEXT',
    'APPDATA',
    'LOCALAPPDATA',
  ]) {
    const value = parent[name];
    if (value !== undefined) env[name] = value;
  }
  Object.assign(env, {
    NODE_ENV: 'production',
    ASTRO_TELEMETRY_DISABLED: '1',
    NO_COLOR: '1',
    BROWSERSLIST_IGNORE_OLD_DATA: '1',
    VITRINE_CATALOG_FILE: files.catalogFile,
    VITRINE_CACHE_DIR: files.cacheDir,
    PUBLIC_STRIPE_PUBLISHABLE_KEY: config.stripe.publishableKey ?? '',
  });
  return env;
}

/** Hash of the site's source files, so an upgraded storefront is rebuilt at start. */
function hashSiteSources(siteRoot: string): string {
  const hash = crypto.createHash('sha256');
  const walk = (dir: string) => {
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const entry of entries.sort((a, b) => a.name.localeCompare(b.name))) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.isFile())
        hash.update(path.relative(siteRoot, full)).update(fs.readFileSync(full));
    }
  };
  for (const part of ['astro.config.mjs', 'package.json', 'src', 'integrations', 'public']) {
    const full = path.join(siteRoot, part);
    if (!fs.existsSync(full)) continue;
    if (fs.statSync(full).isDirectory()) walk(full);
    else hash.update(part).update(fs.readFileSync(full));
  }
  return hash.digest('hex');
}

/**
 * What a build depends on: the catalog export (without its timestamp), the public settings that
 * are baked into the HTML, and the site sources. A live build with another fingerprint is out
 * of date.
 */
export function buildFingerprint(
  context: AppContext,
  catalog: CatalogExport,
  sourceHash: string,
): string {
  const { generatedAt: _generatedAt, ...content } = catalog;
  // Stock above the low-stock threshold shows as "In stock", so its exact count must not make
  // every sale rebuild the storefront; the server checks real stock at checkout anyway.
  const products = content.products.map((product) =>
    product.physical?.stock != null && product.physical.stock > LOW_STOCK_THRESHOLD
      ? { ...product, physical: { ...product.physical, stock: 'many' } }
      : product,
  );
  return crypto
    .createHash('sha256')
    .update(JSON.stringify({ ...content, products }))
    .update(`\0${context.config.stripe.publishableKey ?? ''}`)
    .update(`\0${sourceHash}`)
    .digest('hex');
}

function currentFingerprint(publisher: Publisher, catalog: CatalogExport): string {
  const { siteRoot } = publisher.options;
  let sourceHash = publisher.sourceHashes.get(siteRoot);
  if (!sourceHash) {
    sourceHash = hashSiteSources(siteRoot);
    publisher.sourceHashes.set(siteRoot, sourceHash);
  }
  return buildFingerprint(publisher.context, catalog, sourceHash);
}

function idleStatus(context: AppContext): PublishStatus {
  const saved = readJson<Partial<PublishStatus>>(path.join(siteDir(context), 'publish.json'));
  const status: PublishStatus = {
    state: 'idle',
    startedAt: null,
    finishedAt: null,
    durationMs: null,
    lastError: null,
    lastSuccessAt: null,
    buildId: null,
    liveBuildId: readLiveBuild(context)?.buildId ?? null,
    queued: false,
    trigger: null,
    ...(saved ?? {}),
  };
  status.queued = false;
  status.liveBuildId = readLiveBuild(context)?.buildId ?? null;
  if (status.state === 'building') {
    // The process that ran this build ended before it did.
    status.state = 'failed';
    status.lastError =
      'The build was interrupted because the server stopped while it ran. Publish again.';
    status.finishedAt = status.finishedAt ?? status.startedAt;
  }
  return status;
}

function getPublisher(context: AppContext): Publisher {
  let publisher = publishers.get(context);
  if (!publisher) {
    publisher = {
      context,
      options: { ...DEFAULT_OPTIONS },
      status: idleStatus(context),
      child: null,
      running: null,
      debounce: null,
      watcher: null,
      lastAttempt: null,
      sourceHashes: new Map(),
      closed: false,
      idleWaiters: [],
    };
    publishers.set(context, publisher);
    const owned = publisher;
    context.onClose.push(() => stopPublisher(owned));
  }
  return publisher;
}

/**
 * Sets publishing options for this app before its first build; tests use it to build small
 * fixture sites instead of the storefront.
 */
export function configurePublish(context: AppContext, options: PublishOptions): void {
  const publisher = getPublisher(context);
  if (publisher.running) {
    throw new Error(
      'configurePublish(): a build is running; configure publishing before the first build',
    );
  }
  publisher.options = { ...publisher.options, ...options };
}

const LOG_VIEW_BYTES = 16 * 1024;

/** The last part of a build's log (live while it runs), for the desktop app's log view. */
function readLogTail(context: AppContext, buildId: string | null): string | undefined {
  if (!buildId || !/^[\w.-]+$/.test(buildId)) return undefined;
  const file = path.join(siteDir(context), 'work', buildId, 'build.log');
  let fd: number | undefined;
  try {
    fd = fs.openSync(file, 'r');
    const size = fs.fstatSync(fd).size;
    const length = Math.min(size, LOG_VIEW_BYTES);
    const buffer = Buffer.alloc(length);
    fs.readSync(fd, buffer, 0, length, size - length);
    const text = buffer.toString('utf8');
    // Start at a line boundary when the view was cut.
    return size > length ? text.slice(text.indexOf('\n') + 1) : text;
  } catch {
    return undefined;
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

/** PublishState plus the tail of the current or last build's log. */
export function getPublishStatus(context: AppContext): PublishStatus {
  const publisher = getPublisher(context);
  const status: PublishStatus = {
    ...publisher.status,
    liveBuildId: readLiveBuild(context)?.buildId ?? null,
  };
  const log = readLogTail(context, status.buildId);
  if (log !== undefined) status.log = log;
  return status;
}

function persist(publisher: Publisher): void {
  try {
    fs.mkdirSync(siteDir(publisher.context), { recursive: true });
    const { log: _log, ...status } = publisher.status;
    writeFileAtomic(
      path.join(siteDir(publisher.context), 'publish.json'),
      JSON.stringify(status, null, 2),
    );
  } catch (error) {
    publisher.context.logger
      .child({ area: 'publish' })
      .warn({ err: error }, 'could not save the publish state');
  }
}

/**
 * Starts a build in the background and returns at once. While a build runs, a second call
 * queues one more build (which exports the catalog again) instead of starting a parallel one.
 */
export function startPublish(context: AppContext, trigger = 'admin'): PublishStatus {
  const publisher = getPublisher(context);
  if (publisher.closed) return getPublishStatus(context);
  if (publisher.running) {
    publisher.status.queued = true;
    return getPublishStatus(context);
  }
  launch(publisher, trigger);
  return getPublishStatus(context);
}

function launch(publisher: Publisher, trigger: string): void {
  const buildId = `${new Date()
    .toISOString()
    .replace(/[-:.TZ]/g, '')
    .slice(0, 17)}-${crypto.randomBytes(3).toString('hex')}`;
  publisher.status = {
    ...publisher.status,
    state: 'building',
    startedAt: new Date().toISOString(),
    finishedAt: null,
    durationMs: null,
    buildId,
    queued: false,
    trigger,
  };
  delete publisher.status.log;
  persist(publisher);
  publisher.running = runBuild(publisher, buildId)
    .catch((error: unknown) => {
      // Storing or activating the build failed (a full disk, permissions): report it as a
      // failed publish rather than a build that never ends.
      publisher.context.logger
        .child({ area: 'publish' })
        .error({ err: error, buildId }, 'publish crashed');
      const finishedAt = new Date().toISOString();
      publisher.status = {
        ...publisher.status,
        state: 'failed',
        finishedAt,
        durationMs: Date.parse(finishedAt) - Date.parse(publisher.status.startedAt ?? finishedAt),
        lastError: `The build could not be stored or activated: ${(error as Error).message}`,
      };
      persist(publisher);
    })
    .finally(() => {
      publisher.running = null;
      if (publisher.status.queued && !publisher.closed) {
        launch(publisher, 'queued');
        return;
      }
      for (const resolve of publisher.idleWaiters.splice(0)) resolve();
    });
}

/** Resolves when no build is running or queued; for `npm start` logs and for tests. */
export function whenPublishIdle(context: AppContext): Promise<PublishStatus> {
  const publisher = getPublisher(context);
  if (!publisher.running) return Promise.resolve(getPublishStatus(context));
  return new Promise((resolve) =>
    publisher.idleWaiters.push(() => resolve(getPublishStatus(context))),
  );
}

/** Keeps the last `chars` of the log, cut at a line start, and at most `lines` lines. */
export function tailOfLog(log: string, lines = LOG_TAIL_LINES, chars = LOG_TAIL_CHARS): string {
  let tail = log.trimEnd().split('\n').slice(-lines).join('\n');
  if (tail.length > chars) {
    tail = tail.slice(-chars);
    const firstBreak = tail.indexOf('\n');
    if (firstBreak !== -1) tail = tail.slice(firstBreak + 1);
  }
  return tail;
}

function resolveAstroBin(siteRoot: string): string {
  const require = createRequire(path.join(siteRoot, 'package.json'));
  const pkgFile = require.resolve('astro/package.json');
  const bin = (JSON.parse(fs.readFileSync(pkgFile, 'utf8')) as { bin: { astro: string } }).bin
    .astro;
  return path.join(path.dirname(pkgFile), bin);
}

async function runBuild(publisher: Publisher, buildId: string): Promise<void> {
  const { context, options } = publisher;
  const log = context.logger.child({ area: 'publish' });
  const root = siteDir(context);
  const workDir = path.join(root, 'work', buildId);
  const outDir = path.join(root, 'builds', buildId);
  // Astro imports its prerender chunks from the output folder, so that folder must sit where
  // Node can resolve the site's packages: stage inside the site root, then move the result.
  const stagingRoot = path.join(options.siteRoot, '.astro', 'vitrine-staging');
  const stagingDir = path.join(stagingRoot, buildId);
  const logFile = path.join(workDir, 'build.log');
  const started = Date.now();
  fs.mkdirSync(workDir, { recursive: true });
  fs.mkdirSync(path.join(root, 'builds'), { recursive: true });
  removeStaleStaging(stagingRoot);

  let output = '';
  let result: { ok: true } | { ok: false; reason: string };
  let fingerprint = '';
  try {
    const catalog = exportCatalog(context);
    fingerprint = currentFingerprint(publisher, catalog);
    const catalogFile = path.join(workDir, 'catalog.json');
    fs.writeFileSync(catalogFile, JSON.stringify(catalog, null, 2));
    log.info(
      { buildId, products: catalog.products.length, trigger: publisher.status.trigger },
      'building the site',
    );

    const env = buildEnvironment(context.config, {
      catalogFile,
      cacheDir: path.join(workDir, 'cache'),
    });
    const logStream = fs.createWriteStream(logFile);
    result = await new Promise((resolve) => {
      // cwd is the site root: Astro writes straight into an outDir inside its cwd, and would
      // otherwise stage the output in <cwd>/.astro, a folder shared between builds.
      const child = spawn(
        process.execPath,
        [
          resolveAstroBin(options.siteRoot),
          'build',
          '--root',
          options.siteRoot,
          '--outDir',
          stagingDir,
        ],
        {
          cwd: options.siteRoot,
          env,
          stdio: ['ignore', 'pipe', 'pipe'],
          detached: process.platform !== 'win32',
          windowsHide: true,
        },
      );
      publisher.child = child;
      const collect = (chunk: Buffer) => {
        const text = chunk.toString('utf8');
        logStream.write(text);
        output = (output + text).slice(-64_000);
      };
      child.stdout?.on('data', collect);
      child.stderr?.on('data', collect);
      const timer = setTimeout(() => {
        output += `\nvitrine: the build ran longer than ${Math.round(options.timeoutMs / 1000)} s and was stopped.\n`;
        killTree(child);
      }, options.timeoutMs);
      child.on('error', (error) => {
        clearTimeout(timer);
        publisher.child = null;
        logStream.end();
        resolve({ ok: false, reason: `The build could not start: ${error.message}` });
      });
      child.on('close', (code, signal) => {
        clearTimeout(timer);
        publisher.child = null;
        logStream.end();
        if (code === 0) resolve({ ok: true });
        else if (publisher.closed)
          resolve({
            ok: false,
            reason: 'The build was stopped because the server is shutting down.',
          });
        else
          resolve({
            ok: false,
            reason: `astro build failed (${signal ? `signal ${signal}` : `exit code ${code}`}).`,
          });
      });
    });
    if (result.ok && !fs.existsSync(path.join(stagingDir, 'index.html'))) {
      result = { ok: false, reason: 'astro build finished but wrote no index.html.' };
    }
    if (result.ok) moveDir(stagingDir, outDir);
  } catch (error) {
    result = {
      ok: false,
      reason: `The build could not be prepared or stored: ${(error as Error).message}`,
    };
  } finally {
    fs.rmSync(stagingDir, { recursive: true, force: true });
  }

  const finishedAt = new Date().toISOString();
  const durationMs = Date.now() - started;
  if (fingerprint) publisher.lastAttempt = { fingerprint, failed: !result.ok };
  if (result.ok) {
    activateBuild(root, { buildId, activatedAt: finishedAt, fingerprint });
    publisher.status = {
      ...publisher.status,
      state: 'succeeded',
      finishedAt,
      durationMs,
      lastSuccessAt: finishedAt,
      lastError: null,
      liveBuildId: buildId,
    };
    fs.rmSync(path.join(workDir, 'cache'), { recursive: true, force: true });
    pruneBuilds(root, options.keepBuilds);
    log.info({ buildId, durationMs }, 'the site is live');
  } else {
    fs.rmSync(outDir, { recursive: true, force: true });
    fs.rmSync(path.join(workDir, 'cache'), { recursive: true, force: true });
    const tail = tailOfLog(output);
    publisher.status = {
      ...publisher.status,
      state: 'failed',
      finishedAt,
      durationMs,
      lastError: tail ? `${result.reason}\n${tail}` : result.reason,
    };
    log.error(
      { buildId, durationMs, reason: result.reason },
      'the site build failed; the live site is unchanged',
    );
  }
  persist(publisher);
}

/**
 * Makes a finished build the live one. `current.json` is replaced by rename, which is atomic,
 * so every request sees either the old build or the new one. The `current` symlink follows for
 * web servers that serve DATA_DIR/site/current directly; it is a convenience, not the source of truth.
 */
export function activateBuild(root: string, live: LiveBuild): void {
  writeFileAtomic(path.join(root, 'current.json'), JSON.stringify(live, null, 2));
  if (process.platform === 'win32') return;
  const link = path.join(root, 'current');
  const tmp = path.join(root, `current.${live.buildId}.tmp`);
  try {
    fs.rmSync(tmp, { force: true });
    fs.symlinkSync(path.join('builds', live.buildId), tmp);
    fs.renameSync(tmp, link);
  } catch {
    fs.rmSync(tmp, { force: true });
  }
}

/**
 * Deletes old builds, keeping the live one plus the newest others up to `keep` in all (ids
 * start with the build time, so they sort by age). Work folders (catalog export, build log) go
 * with their builds; those of failed builds are kept only among the few newest, for their logs.
 */
export function pruneBuilds(root: string, keep: number): string[] {
  const live = readJson<LiveBuild>(path.join(root, 'current.json'))?.buildId ?? null;
  const newestFirst = (dir: string) => {
    try {
      return fs.readdirSync(dir).sort().reverse();
    } catch {
      return [];
    }
  };
  const kept = new Set<string>(live ? [live] : []);
  for (const id of newestFirst(path.join(root, 'builds'))) {
    if (kept.size >= Math.max(keep, 1)) break;
    kept.add(id);
  }
  const removed: string[] = [];
  for (const id of newestFirst(path.join(root, 'builds'))) {
    if (kept.has(id)) continue;
    fs.rmSync(path.join(root, 'builds', id), { recursive: true, force: true });
    removed.push(id);
  }
  newestFirst(path.join(root, 'work'))
    .filter((id) => !kept.has(id))
    .slice(3)
    .forEach((id) => fs.rmSync(path.join(root, 'work', id), { recursive: true, force: true }));
  return removed;
}

/** Renames a folder, copying instead when source and target sit on different file systems. */
function moveDir(from: string, to: string): void {
  try {
    fs.renameSync(from, to);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EXDEV') throw error;
    fs.cpSync(from, to, { recursive: true });
    fs.rmSync(from, { recursive: true, force: true });
  }
}

/** Staging folders of builds that died with their process (older than an hour). */
function removeStaleStaging(stagingRoot: string): void {
  let names: string[];
  try {
    names = fs.readdirSync(stagingRoot);
  } catch {
    return;
  }
  const cutoff = Date.now() - 3600_000;
  for (const name of names) {
    const full = path.join(stagingRoot, name);
    try {
      if (fs.statSync(full).mtimeMs < cutoff) fs.rmSync(full, { recursive: true, force: true });
    } catch {
      // raced with another cleanup
    }
  }
}

function killTree(child: ChildProcess): void {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
  try {
    // The build runs in its own process group (detached), so esbuild's service dies with it.
    if (process.platform !== 'win32') process.kill(-child.pid, 'SIGTERM');
    else child.kill('SIGTERM');
  } catch {
    child.kill('SIGTERM');
  }
}

async function stopPublisher(publisher: Publisher): Promise<void> {
  publisher.closed = true;
  publisher.status.queued = false;
  if (publisher.debounce) clearTimeout(publisher.debounce);
  if (publisher.watcher) clearInterval(publisher.watcher);
  if (publisher.child) killTree(publisher.child);
  await publisher.running;
}

/**
 * For `npm start` with SITE_BUILD=auto: publishes when there is no live build, or when the live
 * build was made from another catalog, other public settings or older site sources; then keeps
 * watching the catalog (see `watchCatalog`). Returns the new build's state, or null.
 */
export function ensureSiteBuilt(context: AppContext): PublishStatus | null {
  if (context.config.siteBuild !== 'auto') return null;
  const publisher = getPublisher(context);
  watchCatalog(context);
  const live = readLiveBuild(context);
  if (live && live.fingerprint === currentFingerprint(publisher, exportCatalog(context)))
    return null;

  return startPublish(
    context,
    live ? 'startup: the live build is out of date' : 'startup: no build yet',
  );
}

/**
 * Checks whether the live site still matches the catalog, and publishes when it does not:
 * after a product is created, edited, archived, or gets a model or poster. Returns what it did.
 * A catalog whose build just failed is not retried on its own (the owner sees the failure and
 * publishes again, or the next change triggers a build).
 */
export function checkCatalog(
  context: AppContext,
): 'up-to-date' | 'busy' | 'failed-before' | 'started' {
  const publisher = getPublisher(context);
  if (publisher.running || publisher.closed || publisher.debounce) return 'busy';
  const fingerprint = currentFingerprint(publisher, exportCatalog(context));
  if (readLiveBuild(context)?.fingerprint === fingerprint) return 'up-to-date';
  if (publisher.lastAttempt?.fingerprint === fingerprint && publisher.lastAttempt.failed) {
    return 'failed-before';
  }
  startPublish(context, 'catalog');
  return 'started';
}

/**
 * With SITE_BUILD=auto, compares the catalog with the live build every few seconds (one small
 * query and a hash) and republishes on a difference, so any change through the admin API
 * reaches the storefront without the routes having to remember to ask.
 */
export function watchCatalog(context: AppContext): void {
  if (context.config.siteBuild !== 'auto') return;
  const publisher = getPublisher(context);
  if (publisher.watcher || publisher.closed) return;
  publisher.watcher = setInterval(() => {
    try {
      checkCatalog(context);
    } catch (error) {
      context.logger
        .child({ area: 'publish' })
        .warn({ err: error }, 'could not compare the catalog with the live site');
    }
  }, publisher.options.watchIntervalMs);
  publisher.watcher.unref();
}

/**
 * Asks for a rebuild after a catalog change, folding a burst of edits into one build. Does
 * nothing with SITE_BUILD=off (tests, or an owner who publishes by hand).
 */
export function requestRepublish(context: AppContext, reason = 'catalog'): void {
  if (context.config.siteBuild !== 'auto') return;
  const publisher = getPublisher(context);
  if (publisher.closed) return;
  if (publisher.debounce) clearTimeout(publisher.debounce);
  publisher.debounce = setTimeout(() => {
    publisher.debounce = null;
    startPublish(context, reason);
  }, publisher.options.debounceMs);
  publisher.debounce.unref();
}
