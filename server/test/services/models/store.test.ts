import crypto from 'node:crypto';
import fs from 'node:fs';
import { PassThrough, Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VitrineError } from '@vitrine/shared';
import {
  promoteOriginal,
  receiveToTmp,
  UploadAbortedError,
} from '../../../src/services/models/store.js';
import { startTestServer, type TestServer } from '../../helpers/app.js';

describe('receiveToTmp() and promoteOriginal()', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(() => server.close());

  const context = () => server.app.locals.context;

  it('writes the stream to a temporary file while hashing and counting it', async () => {
    const parts = [Buffer.from('hello '), Buffer.from('world')];

    const received = await receiveToTmp(context(), Readable.from(parts), 1024);

    expect(received.bytes).toBe(11);
    expect(received.sha256).toBe(crypto.createHash('sha256').update('hello world').digest('hex'));
    expect(fs.readFileSync(received.tmpPath, 'utf8')).toBe('hello world');
    fs.rmSync(received.tmpPath);
  });

  it('refuses with payload_too_large past the limit and removes the partial file', async () => {
    const error = await receiveToTmp(
      context(),
      Readable.from([Buffer.alloc(600), Buffer.alloc(600)]),
      1000,
    ).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(VitrineError);
    expect((error as VitrineError).code).toBe('payload_too_large');
    expect(fs.readdirSync(context().paths.tmp)).toEqual([]);
  });

  it('rejects with UploadAbortedError when the source fails and removes the partial file', async () => {
    const source = new PassThrough();
    const pending = receiveToTmp(context(), source, 1_000_000);
    source.write(Buffer.alloc(1000));

    source.destroy(new Error('socket hang up'));

    await expect(pending).rejects.toBeInstanceOf(UploadAbortedError);
    expect(fs.readdirSync(context().paths.tmp)).toEqual([]);
  });

  it('stores identical content once under its hash', async () => {
    const first = await receiveToTmp(context(), Readable.from([Buffer.from('same bytes')]), 100);
    const second = await receiveToTmp(context(), Readable.from([Buffer.from('same bytes')]), 100);

    const a = await promoteOriginal(context(), first);
    const b = await promoteOriginal(context(), second);

    expect(a).toEqual({ relativePath: `${first.sha256}.glb`, created: true });
    expect(b).toEqual({ relativePath: `${first.sha256}.glb`, created: false });
    expect(fs.existsSync(second.tmpPath)).toBe(false);
    expect(fs.readdirSync(context().paths.tmp)).toEqual([]);
  });
});
