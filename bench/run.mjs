// `npm run bench`: starts Vitrine on a temporary data folder (loopback only), adds a product
// with a model, publishes the storefront, opens the product page in Chromium and prints the
// JavaScript it loads before and after the 3D preview becomes visible. Nothing here talks to
// another host. `--strict` exits 1 when a phase is over its budget.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { checkBudget, measureProductPage, summarize } from './js-budget.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const FIXTURE = path.resolve(
  process.env.FIXTURES_DIR ?? path.join(ROOT, '..', 'shared', 'fixtures'),
  'models',
  'Duck.glb',
);
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ADMIN_TOKEN = `bench-${Math.random().toString(36).slice(2)}-0123456789abcdef`;
const strict = process.argv.includes('--strict');

function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

async function waitFor(check, timeoutMs, what) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const value = await check().catch(() => undefined);
    if (value) return value;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`bench: timed out waiting for ${what}`);
}

/** A unit cube GLB, for a checkout without the shared fixtures. */
function cubeGlb() {
  const p = [
    -0.5, -0.5, 0.5, 0.5, -0.5, 0.5, 0.5, 0.5, 0.5, -0.5, 0.5, 0.5, -0.5, -0.5, -0.5, 0.5, -0.5,
    -0.5, 0.5, 0.5, -0.5, -0.5, 0.5, -0.5,
  ];
  const i = [
    0, 1, 2, 0, 2, 3, 1, 5, 6, 1, 6, 2, 5, 4, 7, 5, 7, 6, 4, 0, 3, 4, 3, 7, 3, 2, 6, 3, 6, 7, 4, 5,
    1, 4, 1, 0,
  ];
  const bin = Buffer.concat([
    Buffer.from(new Float32Array(p).buffer),
    Buffer.from(new Uint16Array(i).buffer),
  ]);
  const json = {
    asset: { version: '2.0', generator: 'vitrine bench' },
    scene: 0,
    scenes: [{ nodes: [0] }],
    nodes: [{ mesh: 0 }],
    meshes: [{ primitives: [{ attributes: { POSITION: 0 }, indices: 1, material: 0 }] }],
    materials: [{ pbrMetallicRoughness: { baseColorFactor: [0.2, 0.4, 0.9, 1] } }],
    buffers: [{ byteLength: bin.length }],
    bufferViews: [
      { buffer: 0, byteOffset: 0, byteLength: 96, target: 34962 },
      { buffer: 0, byteOffset: 96, byteLength: 72, target: 34963 },
    ],
    accessors: [
      {
        bufferView: 0,
        componentType: 5126,
        count: 8,
        type: 'VEC3',
        min: [-0.5, -0.5, -0.5],
        max: [0.5, 0.5, 0.5],
      },
      { bufferView: 1, componentType: 5123, count: 36, type: 'SCALAR' },
    ],
  };
  let jsonBytes = Buffer.from(JSON.stringify(json));
  jsonBytes = Buffer.concat([jsonBytes, Buffer.alloc((4 - (jsonBytes.length % 4)) % 4, 0x20)]);
  const header = Buffer.alloc(12);
  header.write('glTF', 0);
  header.writeUInt32LE(2, 4);
  header.writeUInt32LE(12 + 8 + jsonBytes.length + 8 + bin.length, 8);
  const chunk = (type, data) => {
    const head = Buffer.alloc(8);
    head.writeUInt32LE(data.length, 0);
    head.write(type, 4);
    return Buffer.concat([head, data]);
  };
  return Buffer.concat([header, chunk('JSON', jsonBytes), chunk('BIN\0', bin)]);
}

const kb = (bytes) => `${(bytes / 1024).toFixed(1)} KB`;

async function main() {
  if (!fs.existsSync(CHROMIUM))
    throw new Error(`bench: Chromium not found at ${CHROMIUM}; set CHROMIUM_PATH`);
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'vitrine-bench-'));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const server = spawn(
    process.execPath,
    ['--import', 'tsx', path.join(ROOT, 'server', 'src', 'main.ts')],
    {
      cwd: path.join(ROOT, 'server'),
      env: {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        NODE_ENV: 'development',
        LOG_LEVEL: 'warn',
        HOST: '127.0.0.1',
        PORT: String(port),
        PUBLIC_URL: url,
        DATA_DIR: dataDir,
        ADMIN_TOKEN,
        SITE_BUILD: 'off',
        STORE_NAME: 'Bench Shop',
        ASTRO_TELEMETRY_DISABLED: '1',
      },
      stdio: ['ignore', 'inherit', 'inherit'],
    },
  );
  let browser;
  try {
    await waitFor(() => fetch(`${url}/api/health`).then((r) => r.ok), 60_000, 'the server');
    const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };
    const created = await fetch(`${url}/api/admin/products`, {
      method: 'POST',
      headers: { ...admin, 'content-type': 'application/json' },
      body: JSON.stringify({
        name: 'Bench Duck',
        description: 'A product page as a shopper sees it.\n\n'.repeat(3),
        type: 'digital',
        price: { amount: 1500, currency: 'usd' },
      }),
    }).then((r) => r.json());
    const model = fs.existsSync(FIXTURE) ? fs.readFileSync(FIXTURE) : cubeGlb();
    const upload = await fetch(`${url}/api/admin/products/${created.id}/model`, {
      method: 'PUT',
      headers: { ...admin, 'content-type': 'model/gltf-binary' },
      body: model,
    });
    if (!upload.ok)
      throw new Error(`bench: the model upload answered ${upload.status}: ${await upload.text()}`);
    console.log(
      `bench: model ${fs.existsSync(FIXTURE) ? 'Duck.glb' : 'a generated cube'} (${kb(model.length)}); building the storefront…`,
    );
    const buildStarted = Date.now();
    await fetch(`${url}/api/admin/publish`, { method: 'POST', headers: admin });
    const publish = await waitFor(
      () =>
        fetch(`${url}/api/admin/publish`, { headers: admin })
          .then((r) => r.json())
          .then((s) => (s.state === 'building' ? undefined : s)),
      600_000,
      'the site build',
    );
    if (publish.state !== 'succeeded')
      throw new Error(`bench: the site build failed:\n${publish.lastError}`);
    console.log(`bench: built in ${((Date.now() - buildStarted) / 1000).toFixed(1)} s`);

    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: [
        '--no-sandbox',
        '--use-angle=swiftshader',
        '--enable-unsafe-swiftshader',
        '--disable-background-networking',
        '--disable-component-update',
        '--no-first-run',
        '--disable-quic',
      ],
    });
    const context = await browser.newContext({ viewport: { width: 1280, height: 720 } });
    await context.route('**/*', (route) => {
      const { hostname } = new URL(route.request().url());
      return hostname === '127.0.0.1' ? route.continue() : route.abort('blockedbyclient');
    });
    const page = await context.newPage();
    const { scripts, readyMs } = await measureProductPage(page, `${url}/products/${created.slug}/`);

    const rows = ['beforeVisible', 'afterVisible'].map((phase) => ({
      phase,
      ...summarize(scripts, phase),
    }));
    const total = {
      files: rows[0].files + rows[1].files,
      raw: rows[0].raw + rows[1].raw,
      gzip: rows[0].gzip + rows[1].gzip,
    };
    console.log('\nJavaScript on a product page (gzip as a compressing server would send it)\n');
    console.log('| phase                        | files |        raw |       gzip |');
    console.log('| ---------------------------- | ----: | ---------: | ---------: |');
    const label = {
      beforeVisible: 'before the viewer is visible',
      afterVisible: 'added by the viewer',
    };
    for (const row of rows) {
      console.log(
        `| ${label[row.phase].padEnd(28)} | ${String(row.files).padStart(5)} | ${kb(row.raw).padStart(10)} | ${kb(row.gzip).padStart(10)} |`,
      );
    }
    console.log(
      `| ${'total'.padEnd(28)} | ${String(total.files).padStart(5)} | ${kb(total.raw).padStart(10)} | ${kb(total.gzip).padStart(10)} |`,
    );
    console.log(`\nviewer ready ${readyMs} ms after scrolling (SwiftShader, no GPU)\n`);
    for (const row of rows) {
      console.log(`${label[row.phase]}:`);
      for (const s of row.list.sort((a, b) => b.gzip - a.gzip))
        console.log(`  ${kb(s.gzip).padStart(10)}  ${new URL(s.url).pathname}`);
    }
    const budget = checkBudget(scripts);
    console.log('\nbudget:');
    for (const b of budget)
      console.log(`  ${b.ok ? 'ok  ' : 'OVER'} ${label[b.phase]}: ${kb(b.gzip)} of ${kb(b.limit)}`);
    if (strict && budget.some((b) => !b.ok)) process.exitCode = 1;
  } finally {
    await browser?.close();
    server.kill('SIGTERM');
    await new Promise((resolve) => server.once('exit', resolve));
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((error) => {
  console.error(error.message ?? error);
  process.exitCode = 1;
});
