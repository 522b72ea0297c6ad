import { execFile } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Problem } from '../../src/common/bridge.js';
import { ProblemError } from '../../src/main/problems.js';
import { streamUpload, type StreamProgress } from '../../src/main/upload.js';
import { writeTriangleGlb } from '../helpers/glb.js';
import { ADMIN_TOKEN, startTestServer, type TestServer } from '../helpers/server.js';

const run = promisify(execFile);
const CHILD = path.resolve(import.meta.dirname, '../helpers/upload-child.ts');
const MB = 1024 * 1024;

let server: TestServer;
let dir: string;
let productId: string;

beforeAll(async () => {
  server = await startTestServer();
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vitrine-upload-'));
  const res = await server.request('/api/admin/products', {
    method: 'POST',
    admin: true,
    json: {
      name: 'Big model',
      description: '',
      type: 'digital',
      price: { amount: 500, currency: server.config.currency },
    },
  });
  productId = ((await res.json()) as { id: string }).id;
});
afterAll(async () => {
  await server.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

function modelUrl(id = productId) {
  return `${server.url}/api/admin/products/${id}/model`;
}

async function problemOf(work: Promise<unknown>): Promise<Problem> {
  const error = await work.then(
    () => null,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(ProblemError);
  return (error as ProblemError).problem;
}

describe('streamUpload()', () => {
  it('streams a 256 MB GLB from disk with memory far below the file size and progress to 100%', async () => {
    const file = path.join(dir, 'big.glb');
    const size = writeTriangleGlb(file, { binBytes: 256 * MB });
    expect(fs.statSync(file).size).toBe(size);

    const { stdout } = await run(process.execPath, ['--expose-gc', '--import', 'tsx', CHILD], {
      env: { ...process.env, UPLOAD_URL: modelUrl(), UPLOAD_TOKEN: ADMIN_TOKEN, UPLOAD_FILE: file },
      maxBuffer: 16 * MB,
      timeout: 280_000,
    });
    const report = JSON.parse(stdout.trim().split('\n').at(-1)!) as {
      status: number | null;
      body: { facts?: { bytes: number } } | null;
      problem: Problem | null;
      progress: StreamProgress[];
      baselineRss: number;
      peakRss: number;
    };

    // Progress: moves in many steps, never backwards, ends at exactly the file size.
    const sent = report.progress.map((p) => p.sent);
    expect(report.progress.length).toBeGreaterThan(10);
    expect(sent).toEqual([...sent].sort((a, b) => a - b));
    expect(report.progress.every((p) => p.total === size)).toBe(true);
    expect(sent.at(-1)).toBe(size);

    // Memory: the streamer's process grew by a small fraction of the file.
    const growth = report.peakRss - report.baselineRss;
    expect(growth).toBeLessThan(80 * MB);

    // Whatever the server decided, it answered; a valid big GLB is accepted.
    if (report.status === 200) expect(report.body?.facts?.bytes).toBe(size);
    else expect(report.problem).toMatchObject({ what: 'Uploading the model' });
    console.info(
      `upload of ${size} bytes: ${report.progress.length} progress reports, RSS growth ${(growth / MB).toFixed(1)} MB, answer ${report.status ?? report.problem?.code}`,
    );
  }, 300_000);

  it('stops sending and reports the refusal when the server answers early', async () => {
    const file = path.join(dir, 'early.glb');
    const size = writeTriangleGlb(file, { binBytes: 64 * MB });
    const progress: StreamProgress[] = [];
    const problem = await problemOf(
      streamUpload({
        url: modelUrl(),
        token: 'wrong-token-wrong-token-wrong',
        filePath: file,
        contentType: 'model/gltf-binary',
        what: 'Uploading the model',
        onProgress: (event) => progress.push(event),
      }),
    );
    expect(problem).toMatchObject({ status: 401, what: 'Uploading the model' });
    expect(progress.at(-1)!.sent).toBeLessThan(size);
  });

  it('cancels an upload in flight', async () => {
    const file = path.join(dir, 'cancel.glb');
    writeTriangleGlb(file, { binBytes: 64 * MB });
    // A server that reads slowly, so the upload is surely still running when cancelled.
    const slow = http.createServer((req) => {
      req.on('data', () => {
        req.pause();
        setTimeout(() => req.resume(), 20);
      });
    });
    await new Promise<void>((resolve) => slow.listen(0, '127.0.0.1', resolve));
    const controller = new AbortController();
    try {
      const upload = streamUpload({
        url: `http://127.0.0.1:${(slow.address() as AddressInfo).port}/upload`,
        token: ADMIN_TOKEN,
        filePath: file,
        contentType: 'model/gltf-binary',
        what: 'Uploading the model',
        signal: controller.signal,
        onProgress: ({ sent }) => {
          if (sent > 0) controller.abort();
        },
      });
      expect((await problemOf(upload)).code).toBe('cancelled');
    } finally {
      slow.closeAllConnections();
      await new Promise<void>((resolve) => slow.close(() => resolve()));
    }
  });

  it('says so when the file is gone', async () => {
    const problem = await problemOf(
      streamUpload({
        url: modelUrl(),
        token: ADMIN_TOKEN,
        filePath: path.join(dir, 'missing.glb'),
        contentType: 'model/gltf-binary',
        what: 'Uploading the model',
      }),
    );
    expect(problem.code).toBe('file_unreadable');
    expect(problem.cause).toMatch(/does not exist/);
  });

  it('sends Content-Length and the GLB media type', async () => {
    const file = path.join(dir, 'small.glb');
    const size = writeTriangleGlb(file);
    let headers: http.IncomingHttpHeaders = {};
    const echo = http.createServer((req, res) => {
      headers = req.headers;
      req.resume();
      req.on('end', () =>
        res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}'),
      );
    });
    await new Promise<void>((resolve) => echo.listen(0, '127.0.0.1', resolve));
    try {
      const result = await streamUpload({
        url: `http://127.0.0.1:${(echo.address() as AddressInfo).port}/upload`,
        token: ADMIN_TOKEN,
        filePath: file,
        contentType: 'model/gltf-binary',
        what: 'Uploading the model',
      });
      expect(result).toMatchObject({ status: 200, body: { ok: true }, sent: size, total: size });
      expect(headers['content-length']).toBe(String(size));
      expect(headers['content-type']).toBe('model/gltf-binary');
      expect(headers['transfer-encoding']).toBeUndefined();
      expect(headers.authorization).toBe(`Bearer ${ADMIN_TOKEN}`);
    } finally {
      echo.closeAllConnections();
      await new Promise<void>((resolve) => echo.close(() => resolve()));
    }
  });
});
