import crypto from 'node:crypto';
import fs from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import { Router, type Request, type Response } from 'express';
import { VitrineError, isVitrineError } from '@vitrine/shared';
import type { AppContext } from '../context.js';
import { now, writeTransaction, type Db } from '../db/database.js';
import {
  checkGrantUsable,
  consumeDownload,
  getGrantFile,
  hashAddress,
  resolveOriginalPath,
  verifyDownloadToken,
  type GrantFileRow,
} from '../services/downloads.js';

/** Failed attempts (401, 403, 404, 416) one address may make per window before it gets 429. */
export const FAILURE_LIMIT = 20;
export const FAILURE_WINDOW_MS = 10 * 60_000;
/** Addresses the limiter remembers at most; the oldest are forgotten first beyond this. */
const MAX_TRACKED_ADDRESSES = 10_000;
/**
 * Bytes that resumed requests (a Range not starting at byte 0, which are not counted) may take
 * per counted download, as a multiple of the file size. Past it, a resume counts as a new
 * download, so "always start at byte 1" cannot bypass the limit.
 */
export const RESUME_BUDGET_FACTOR = 2;
/**
 * Each resume costs at least 1/RESUME_COST_DIVISOR of the file against that allowance, however
 * few bytes it asks for, so one link cannot make endless free requests (each one adds an
 * attempt row that every later resume reads): at most 2 × 64 resumes per counted download.
 */
export const RESUME_COST_DIVISOR = 64;
/** Longer tokens are refused before any parsing; ours are about 250 characters. */
const MAX_TOKEN_LENGTH = 2048;
/** Range headers are stored in the attempt log up to this length. */
const MAX_LOGGED_RANGE = 200;

const FAILURE_STATUSES = new Set([401, 403, 404, 416]);

/**
 * Downloads of purchased model originals: `GET|HEAD /api/downloads/:token`.
 *
 * - The token names a grant; the file comes from that grant's `models.original_path` only.
 * - Counting: a GET whose body starts at byte 0 (no Range, or a Range from 0) counts one
 *   download, at the start, before any byte is sent. Resumes (a Range from a later byte) are
 *   free within {@link RESUME_BUDGET_FACTOR}. HEAD never counts.
 * - Range (RFC 9110 §14): one `bytes=` range gets 206; an unsatisfiable one 416 with a
 *   Content-Range that names the size; a malformed header, another unit, or several ranges are
 *   ignored and the whole file is sent with 200, as §14.2 allows. `If-Range` with the
 *   strong ETag keeps the Range; anything else (another ETag, a date) sends the whole file.
 */
export function downloadsRouter(context: AppContext): Router {
  const router = Router();
  const limiter = new FailureLimiter();

  // Express answers HEAD with this GET route; the handler sends no body and counts nothing.
  router.get('/:token', async (req, res) => {
    await serveDownload(context, limiter, req, res);
  });

  return router;
}

interface Attempt {
  grantId: string | null;
  rangeHeader: string | null;
  ipHash: string;
}

async function serveDownload(
  context: AppContext,
  limiter: FailureLimiter,
  req: Request,
  res: Response,
): Promise<void> {
  const { config, db } = context;
  const log = context.logger.child({ area: 'downloads' });
  const token = String(req.params.token ?? '');
  // A hash prefix identifies the link in logs without making the log a key store.
  const tokenRef = crypto.createHash('sha256').update(token).digest('hex').slice(0, 12);
  const rangeHeader = req.headers.range ?? null;
  const attempt: Attempt = {
    grantId: null,
    rangeHeader: rangeHeader === null ? null : rangeHeader.slice(0, MAX_LOGGED_RANGE),
    ipHash: hashAddress(config, req.ip ?? req.socket.remoteAddress ?? 'unknown'),
  };

  res.set({
    'Cache-Control': 'private, no-store',
    'Referrer-Policy': 'no-referrer',
    'X-Content-Type-Options': 'nosniff',
  });

  const retryAfter = limiter.retryAfterSeconds(attempt.ipHash);
  if (retryAfter > 0) {
    // No attempt row and no warning per refused request: a limited address is answered from
    // memory, or a flood of them would fill the disk. The failures that led here are logged,
    // and the moment the address was limited too.
    log.debug({ ipHash: attempt.ipHash.slice(0, 12), tokenRef }, 'download refused: rate limited');
    res.set('Retry-After', String(retryAfter));
    throw new VitrineError(
      'rate_limited',
      `Too many failed download attempts came from your address. Try again in ${retryAfter} seconds.`,
    );
  }

  let file: fs.FileHandle | undefined;
  let attemptId: number;
  let start: number;
  let end: number;
  let status: 200 | 206;
  let row: GrantFileRow;
  try {
    if (token.length > MAX_TOKEN_LENGTH) {
      throw new VitrineError('invalid_token', 'The download link is not valid: it is too long.');
    }
    const grantId = verifyDownloadToken(config, token);
    const found = getGrantFile(db, grantId);
    if (!found) {
      throw new VitrineError(
        'invalid_token',
        'The download link is not valid: its download no longer exists.',
      );
    }
    row = found;
    attempt.grantId = row.id;
    checkGrantUsable(row, false);

    file = await openOriginal(context, row);
    const size = (await file.stat()).size;
    const etag = `"${row.sha256}"`;
    res.set({ 'Accept-Ranges': 'bytes', ETag: etag });

    const range = shouldUseRange(req, etag) ? parseRange(rangeHeader ?? '', size) : IGNORED;
    if (range.kind === 'unsatisfiable') {
      res.set('Content-Range', `bytes */${size}`);
      throw new VitrineError(
        'range_not_satisfiable',
        `The requested range "${attempt.rangeHeader}" lies outside the file, which has ${size} bytes.`,
        {
          hint: 'Ask for a range below the file size, or for the whole file without a Range header.',
        },
      );
    }
    [start, end, status] =
      range.kind === 'range' ? [range.start, range.end, 206] : [0, size - 1, 200];
    const length = Math.max(0, end - start + 1);

    if (req.method === 'HEAD') {
      checkGrantUsable(row, start === 0);
      attemptId = recordAttempt(db, attempt, status, 0);
    } else {
      attemptId = writeTransaction(db, () => {
        if (start === 0 || !hasResumeBudget(db, row, size, length)) consumeDownload(db, row.id);
        // Record the planned length now, so parallel resumes see each other in the budget;
        // the bytes actually sent replace it when the response closes.
        return recordAttempt(db, attempt, status, length);
      });
    }

    res.status(status).set({
      'Content-Type': 'model/gltf-binary',
      'Content-Length': String(length),
      'Content-Disposition': attachmentDisposition(row.name, '.glb'),
    });
    if (status === 206) res.set('Content-Range', `bytes ${start}-${end}/${size}`);
  } catch (error) {
    await file?.close();
    const failed = isVitrineError(error) ? error.status : 500;
    recordAttempt(db, attempt, failed, 0);
    if (FAILURE_STATUSES.has(failed)) {
      limiter.recordFailure(attempt.ipHash);
      if (limiter.retryAfterSeconds(attempt.ipHash) > 0) {
        log.warn(
          { ipHash: attempt.ipHash.slice(0, 12), tokenRef },
          'too many failed downloads from one address; refusing it for a while',
        );
      }
    }
    log.info({ tokenRef, grantId: attempt.grantId, status: failed }, 'download refused');
    throw error;
  }

  if (req.method === 'HEAD' || end < start) {
    await file.close();
    res.end();
    return;
  }

  let sent = 0;
  const stream = file.createReadStream({ start, end, autoClose: true });
  stream.on('data', (chunk: string | Buffer) => {
    sent += chunk.length;
  });
  res.once('close', () => {
    try {
      db.prepare('UPDATE download_attempts SET bytes = ? WHERE id = ?').run(sent, attemptId);
    } catch (error) {
      // The database closes with the app; a transfer cut off by shutdown keeps its planned length.
      log.warn({ grantId: row.id, err: error }, 'could not record the bytes sent');
    }
    log.info(
      { tokenRef, grantId: row.id, status, bytes: sent, complete: res.writableFinished },
      'download served',
    );
  });
  try {
    await pipeline(stream, res);
  } catch (error) {
    // The client went away mid-file; that is normal for downloads and already logged on close.
    log.debug({ tokenRef, grantId: row.id, err: error }, 'download stream ended early');
  }
}

/** Opens the grant's original, answering 404 when the database points at no file. */
async function openOriginal(context: AppContext, row: GrantFileRow): Promise<fs.FileHandle> {
  const missing = new VitrineError(
    'not_found',
    'The file for this download is missing on the server, so it cannot be sent.',
    { hint: 'Contact the store; your download was not used up.' },
  );
  const filePath = resolveOriginalPath(context, row.original_path);
  if (!filePath) {
    context.logger
      .child({ area: 'downloads' })
      .error(
        { grantId: row.id, modelId: row.model_id },
        'model original path lies outside the originals folder',
      );
    throw missing;
  }
  try {
    return await fs.open(filePath, 'r');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== 'ENOENT' && code !== 'EISDIR' && code !== 'ENOTDIR') throw error;
    context.logger
      .child({ area: 'downloads' })
      .error({ grantId: row.id, modelId: row.model_id }, 'model original is missing on disk');
    throw missing;
  }
}

/** Range applies unless `If-Range` names something other than the current strong ETag. */
function shouldUseRange(req: Request, etag: string): boolean {
  if (req.headers.range === undefined) return false;
  const ifRange = req.get('if-range');

  return ifRange === undefined || ifRange.trim() === etag;
}

/**
 * Whether a resumed request of `length` bytes fits the grant's free resume allowance: uncounted
 * 206 responses may carry up to RESUME_BUDGET_FACTOR × the file size per counted download, each
 * costing at least 1/RESUME_COST_DIVISOR of the file.
 */
function hasResumeBudget(db: Db, row: GrantFileRow, size: number, length: number): boolean {
  const budget = row.downloads_used * size * RESUME_BUDGET_FACTOR;
  if (budget === 0) return false;
  const rows = db
    .prepare(
      'SELECT bytes, range_header FROM download_attempts WHERE grant_id = ? AND status = 206',
    )
    .all(row.id) as { bytes: number; range_header: string | null }[];
  const minimum = Math.max(1, Math.floor(size / RESUME_COST_DIVISOR));
  let used = 0;
  for (const previous of rows) {
    const range = parseRange(previous.range_header ?? '', size);
    if (range.kind === 'range' && range.start > 0) used += Math.max(previous.bytes, minimum);
  }

  return used + Math.max(length, minimum) <= budget;
}

function recordAttempt(db: Db, attempt: Attempt, status: number, bytes: number): number {
  const result = db
    .prepare(
      `INSERT INTO download_attempts (grant_id, at, status, bytes, range_header, ip_hash)
       VALUES (?, ?, ?, ?, ?, ?)`,
    )
    .run(attempt.grantId, now(), status, bytes, attempt.rangeHeader, attempt.ipHash);

  return Number(result.lastInsertRowid);
}

export type ParsedRange =
  { kind: 'ignored' } | { kind: 'unsatisfiable' } | { kind: 'range'; start: number; end: number };

const IGNORED: ParsedRange = { kind: 'ignored' };

/**
 * Parses a Range header against a representation of `size` bytes. One byte range is honoured
 * (`a-b`, `a-`, `-n`; `b` is clamped to the last byte). A header in another unit, a malformed
 * one, or one with several ranges is `ignored` (the whole file is sent). A single range that
 * starts at or past the end, or a zero-length suffix, is `unsatisfiable`.
 * @see https://www.rfc-editor.org/rfc/rfc9110#section-14.1.2
 */
export function parseRange(header: string, size: number): ParsedRange {
  const match = /^\s*([!#$%&'*+.^_`|~0-9A-Za-z-]+)\s*=\s*(.*)$/.exec(header);
  if (!match || match[1]!.toLowerCase() !== 'bytes') return IGNORED;
  const specs = match[2]!
    .split(',')
    .map((spec) => spec.trim())
    .filter(Boolean);
  if (specs.length !== 1) return IGNORED;
  const spec = specs[0]!;

  const suffix = /^-(\d+)$/.exec(spec);
  if (suffix) {
    const length = Number(suffix[1]);
    if (length === 0 || size === 0) return { kind: 'unsatisfiable' };

    return { kind: 'range', start: Math.max(0, size - length), end: size - 1 };
  }
  const bounded = /^(\d+)-(\d*)$/.exec(spec);
  if (!bounded) return IGNORED;
  const first = Number(bounded[1]);
  const last = bounded[2] === '' ? Infinity : Number(bounded[2]);
  if (last < first) return IGNORED;
  if (first >= size) return { kind: 'unsatisfiable' };

  return { kind: 'range', start: first, end: Math.min(last, size - 1) };
}

// RFC 8187 attr-char: what may stay unescaped in `filename*`.
const ATTR_CHAR = /[A-Za-z0-9!#$&+\-.^_`|~]/;

/**
 * `attachment; filename="<ascii>"; filename*=UTF-8''<pct-encoded>` for a product name, e.g.
 * "Kristall Würfel" → `filename="Kristall Wurfel.glb"; filename*=UTF-8''Kristall%20W%C3%BCrfel.glb`.
 * Quotes, backslashes, control characters and path separators are dropped first, so the name
 * can neither break the header nor point at a folder.
 * @see https://www.rfc-editor.org/rfc/rfc6266#section-4.3
 * @see https://www.rfc-editor.org/rfc/rfc8187#section-3.2
 */
export function attachmentDisposition(name: string, extension: string): string {
  const cleaned =
    name
      .normalize('NFC')
      .replace(/[\u0000-\u001f\u007f-\u009f"\\/:*?<>|]/g, ' ')
      .split(/\s+/)
      .filter((word) => !/^\.+$/.test(word))
      .join(' ')
      .trim()
      .replace(/^\.+/, '')
      .slice(0, 150)
      .trim() || 'model';
  const full = cleaned.toLowerCase().endsWith(extension) ? cleaned : cleaned + extension;

  const ascii = full
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/[^\x20-\x7e]/g, '_')
    .replace(/[%]/g, '_');
  let encoded = '';
  for (const char of full) {
    encoded += ATTR_CHAR.test(char)
      ? char
      : Array.from(
          Buffer.from(char, 'utf8'),
          (byte) => `%${byte.toString(16).toUpperCase().padStart(2, '0')}`,
        ).join('');
  }

  return `attachment; filename="${ascii}"; filename*=UTF-8''${encoded}`;
}

/**
 * Counts failed attempts per address hash in a sliding window, in memory. One process's view
 * only: several server processes each keep their own count (see the README's limits).
 */
export class FailureLimiter {
  private readonly failures = new Map<string, number[]>();

  constructor(
    private readonly limit = FAILURE_LIMIT,
    private readonly windowMs = FAILURE_WINDOW_MS,
    private readonly clock: () => number = Date.now,
  ) {}

  /** Seconds until the address may try again; 0 when it may try now. */
  retryAfterSeconds(key: string): number {
    const times = this.recent(key);
    if (times.length < this.limit) return 0;
    // Once the oldest failures that put the address over the limit leave the window, it is back
    // under the limit.
    const freeAt = times[times.length - this.limit]! + this.windowMs;

    return Math.max(1, Math.ceil((freeAt - this.clock()) / 1000));
  }

  recordFailure(key: string): void {
    const times = this.recent(key);
    times.push(this.clock());
    this.failures.delete(key);
    this.failures.set(key, times);
    if (this.failures.size > MAX_TRACKED_ADDRESSES) this.sweep();
  }

  private recent(key: string): number[] {
    const cutoff = this.clock() - this.windowMs;
    const times = (this.failures.get(key) ?? []).filter((time) => time > cutoff);
    if (times.length === 0) this.failures.delete(key);

    return times;
  }

  private sweep(): void {
    for (const key of [...this.failures.keys()]) this.recent(key);
    // Map order is insertion order and recordFailure re-inserts, so the first keys are the
    // addresses seen least recently.
    for (const key of this.failures.keys()) {
      if (this.failures.size <= MAX_TRACKED_ADDRESSES) break;
      this.failures.delete(key);
    }
  }
}
