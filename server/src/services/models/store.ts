import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { VitrineError } from '@vitrine/shared';
import type { AppContext } from '../../context.js';

/** A body received into `paths.tmp`, hashed and counted on the way. */
export interface ReceivedFile {
  tmpPath: string;
  bytes: number;
  sha256: string;
}

/** Thrown when the sender went away before the body was complete; nobody reads the answer. */
export class UploadAbortedError extends Error {
  constructor() {
    super('The upload was interrupted before the whole body arrived.');
    this.name = 'UploadAbortedError';
  }
}

export function tooLarge(limit: number): VitrineError {
  return new VitrineError(
    'payload_too_large',
    `The file is larger than this server accepts (${limit} bytes, MAX_UPLOAD_BYTES).`,
    { hint: 'Reduce the model (texture sizes, mesh density) or raise MAX_UPLOAD_BYTES.' },
  );
}

export function newTmpPath(context: AppContext, suffix: string): string {
  return path.join(context.paths.tmp, `${crypto.randomBytes(12).toString('hex')}${suffix}`);
}

/**
 * Streams `source` to a new file under `paths.tmp` while hashing (sha256) and counting bytes,
 * with backpressure, so memory stays bounded whatever the size. Refuses with `payload_too_large`
 * as soon as more than `limit` bytes arrive. On any failure the partial file is removed before
 * this rejects, and `source` is left undestroyed so the caller can still answer the request.
 */
export async function receiveToTmp(
  context: AppContext,
  source: Readable & { complete?: boolean },
  limit: number,
): Promise<ReceivedFile> {
  const hash = crypto.createHash('sha256');
  let bytes = 0;
  let aborted = false;

  const meter = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      bytes += chunk.length;
      if (bytes > limit) {
        callback(tooLarge(limit));
        return;
      }
      hash.update(chunk);
      callback(null, chunk);
    },
  });
  // Listen before the first await: a sender that goes away while the folder is being made
  // must still be noticed. The source is piped by hand, not through pipeline(): pipeline
  // would destroy the request, and with it the socket the 413 answer has to go out on.
  // pipeline() reports the meter's errors; this keeps one raised before it starts from being unhandled.
  meter.on('error', () => undefined);
  const abort = () => {
    aborted = true;
    meter.destroy(new UploadAbortedError());
  };
  const onSourceClose = () => {
    if (source.complete === false || !source.readableEnded) abort();
  };
  source.once('error', abort);
  source.once('close', onSourceClose);

  const tmpPath = newTmpPath(context, '.part');
  try {
    await fs.promises.mkdir(context.paths.tmp, { recursive: true });
    if (aborted || (source.destroyed && !source.readableEnded)) throw new UploadAbortedError();
    source.pipe(meter);
    await pipeline(meter, fs.createWriteStream(tmpPath, { flags: 'wx', mode: 0o600 }));
  } catch (error) {
    source.unpipe(meter);
    await fs.promises.rm(tmpPath, { force: true });
    throw aborted ? new UploadAbortedError() : error;
  } finally {
    source.off('error', abort);
    source.off('close', onSourceClose);
  }
  return { tmpPath, bytes, sha256: hash.digest('hex') };
}

/**
 * Reads a whole file into one Buffer, in chunks, so files past fs.readFile's 2 GiB limit work
 * as long as memory allows.
 */
export async function readWholeFile(file: string, bytes: number): Promise<Buffer> {
  const buffer = Buffer.allocUnsafe(bytes);
  const handle = await fs.promises.open(file, 'r');
  try {
    let offset = 0;
    while (offset < bytes) {
      const { bytesRead } = await handle.read(
        buffer,
        offset,
        Math.min(bytes - offset, 64 * 1024 ** 2),
        offset,
      );
      if (bytesRead === 0)
        throw new Error(`readWholeFile(): ${file} ended at ${offset} of ${bytes} bytes`);
      offset += bytesRead;
    }
  } finally {
    await handle.close();
  }
  return buffer;
}

/**
 * Moves a received file to `paths.originals/<sha256>.glb` with an atomic rename. The originals
 * are content-addressed: when the same bytes are already stored, the temporary copy is dropped
 * and `created` is false. Returns the path relative to `paths.originals`.
 */
export async function promoteOriginal(
  context: AppContext,
  file: ReceivedFile,
): Promise<{ relativePath: string; created: boolean }> {
  await fs.promises.mkdir(context.paths.originals, { recursive: true, mode: 0o700 });
  const relativePath = `${file.sha256}.glb`;
  const target = path.join(context.paths.originals, relativePath);
  const stored = await fs.promises.access(target).then(
    () => true,
    () => false,
  );
  if (stored) {
    await fs.promises.rm(file.tmpPath, { force: true });
    return { relativePath, created: false };
  }
  // tmp and originals share DATA_DIR/files, so the rename is atomic.
  await fs.promises.rename(file.tmpPath, target);
  return { relativePath, created: true };
}

/**
 * Writes `bytes` under `paths.public` as `<folder>/<name>` through a temporary file and a
 * rename, so a reader never sees half a file. Returns the path relative to `paths.public`.
 */
export async function writePublicFile(
  context: AppContext,
  folder: 'previews' | 'posters',
  name: string,
  bytes: Uint8Array,
): Promise<string> {
  const dir = folder === 'previews' ? context.paths.previews : context.paths.posters;
  await fs.promises.mkdir(dir, { recursive: true });
  await fs.promises.mkdir(context.paths.tmp, { recursive: true });
  const tmp = newTmpPath(context, `-${name}`);
  try {
    await fs.promises.writeFile(tmp, bytes, { flag: 'wx' });
    await fs.promises.rename(tmp, path.join(dir, name));
  } catch (error) {
    await fs.promises.rm(tmp, { force: true });
    throw error;
  }
  return `${folder}/${name}`;
}
