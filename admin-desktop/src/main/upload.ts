import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { httpProblem, networkProblem, ProblemError } from './problems.js';

export interface StreamProgress {
  sent: number;
  total: number;
}

export interface StreamUploadOptions {
  /** Full URL of the endpoint, e.g. `http://127.0.0.1:3000/api/admin/products/p_1/model`. */
  url: string;
  token: string;
  filePath: string;
  contentType: string;
  what: string;
  method?: 'PUT' | 'POST';
  onProgress?: (progress: StreamProgress) => void;
  /** Shortest gap between two progress reports; the last one is always sent. */
  progressIntervalMs?: number;
  signal?: AbortSignal;
  /** Longest silence on the socket, while sending or while the server validates the file. */
  idleTimeoutMs?: number;
}

export interface StreamUploadResult {
  status: number;
  body: unknown;
  sent: number;
  total: number;
}

/** Read size: big enough to keep the socket busy, small enough to keep memory flat. */
const CHUNK_BYTES = 256 * 1024;

/**
 * Streams a file from disk as a request body, with `Content-Length`, and reports progress. It
 * uses `node:http` so that backpressure works: the next chunk is read only once the socket has
 * taken the last one, so memory stays at a few chunks whatever the file size.
 *
 * Resolves with the server's answer when it is 2xx, and throws a {@link ProblemError} otherwise.
 */
export async function streamUpload(options: StreamUploadOptions): Promise<StreamUploadResult> {
  const { url, filePath, what } = options;
  const origin = new URL(url).origin;

  let total: number;
  try {
    const stat = await fs.promises.stat(filePath);
    if (!stat.isFile()) throw Object.assign(new Error('not a file'), { code: 'EISDIR' });
    total = stat.size;
  } catch (error) {
    throw new ProblemError(fileProblem(error, what, filePath), { cause: error });
  }

  const { status, text, sent } = await send(options, total);
  let body: unknown = undefined;
  if (text !== '') {
    try {
      body = JSON.parse(text);
    } catch {
      body = null;
    }
  }
  if (status < 200 || status >= 300) {
    throw new ProblemError(httpProblem(what, status, body, origin));
  }
  return { status, body, sent, total };
}

function send(
  options: StreamUploadOptions,
  total: number,
): Promise<{ status: number; text: string; sent: number }> {
  const target = new URL(options.url);
  const transport = target.protocol === 'https:' ? https : http;
  const interval = options.progressIntervalMs ?? 100;
  const origin = target.origin;

  return new Promise((resolve, reject) => {
    let sent = 0;
    let lastReport = 0;
    let settled = false;
    const report = (force: boolean) => {
      const now = Date.now();
      if (!force && now - lastReport < interval) return;
      lastReport = now;
      options.onProgress?.({ sent, total });
    };

    const file = fs.createReadStream(options.filePath, { highWaterMark: CHUNK_BYTES });
    const request = transport.request(target, {
      method: options.method ?? 'PUT',
      headers: {
        authorization: `Bearer ${options.token}`,
        'content-type': options.contentType,
        'content-length': String(total),
        accept: 'application/json',
      },
    });

    const fail = (error: unknown, problem = networkProblem(error, options.what, origin)) => {
      if (settled) return;
      settled = true;
      file.destroy();
      request.destroy();
      reject(new ProblemError(problem, { cause: error }));
    };

    request.setTimeout(options.idleTimeoutMs ?? 120_000, () => {
      fail(Object.assign(new Error('idle timeout'), { name: 'TimeoutError' }));
    });
    const onAbort = () => fail(Object.assign(new Error('cancelled'), { name: 'AbortError' }));
    if (options.signal?.aborted) {
      onAbort();
      return;
    }
    options.signal?.addEventListener('abort', onAbort, { once: true });

    report(true);
    file.on('data', (chunk) => {
      sent += chunk.length;
      report(sent === total);
    });
    file.on('error', (error) => fail(error, fileProblem(error, options.what, options.filePath)));
    request.on('error', (error) => fail(error));

    request.on('response', (response) => {
      // The server may answer before it has read everything (a refusal); stop sending then.
      if (sent < total) file.unpipe(request).destroy();
      const parts: Buffer[] = [];
      let size = 0;
      response.on('data', (part: Buffer) => {
        // An answer is a small JSON document; keep at most 1 MB of it.
        if (size < 1024 * 1024) parts.push(part);
        size += part.length;
      });
      response.on('error', (error) => fail(error));
      response.on('end', () => {
        if (settled) return;
        settled = true;
        options.signal?.removeEventListener('abort', onAbort);
        report(true);
        resolve({
          status: response.statusCode ?? 0,
          text: Buffer.concat(parts).toString('utf8'),
          sent,
        });
      });
    });

    file.pipe(request);
  });
}

function fileProblem(error: unknown, what: string, filePath: string) {
  const code = (error as { code?: string }).code;
  const cause =
    code === 'ENOENT'
      ? `The file ${filePath} does not exist any more.`
      : code === 'EACCES' || code === 'EPERM'
        ? `The app may not read ${filePath}.`
        : code === 'EISDIR'
          ? `${filePath} is a folder, not a file.`
          : `The file ${filePath} could not be read (${code ?? String(error)}).`;
  return {
    what,
    cause,
    action: 'Pick the file again, or check its permissions.',
    code: 'file_unreadable',
  };
}
