import type { ErrorRequestHandler, RequestHandler } from 'express';
import { VitrineError, describeIssues, type ErrorBody } from '@vitrine/shared';
import { ZodError } from 'zod';
import { redactToken, type Logger } from '../logger.js';

/** Answers unknown routes with the contract's error body. */
export const notFound: RequestHandler = (req, res) => {
  const body: ErrorBody = {
    // originalUrl, not path: under `app.use('/api', …)` the path has lost its mount prefix.
    error: {
      code: 'not_found',
      message: `There is no ${req.method} ${loggablePath(req.originalUrl.split('?')[0] ?? req.path)} on this server.`,
    },
  };
  res.status(404).json(body);
};

/**
 * A 4xx error from the body parsers (http-errors, which set `expose`) or from the router (a
 * URIError for a path it cannot decode). Other libraries' errors stay unknown, hence 500.
 */
function isClientError(
  err: unknown,
): err is { status: number; expose?: boolean; message?: string } {
  const candidate = err as { status?: unknown; expose?: unknown } | null;
  const status = candidate?.status;
  if (typeof status !== 'number' || status < 400 || status >= 500) return false;
  return typeof candidate?.expose === 'boolean' || err instanceof URIError;
}

/** Download links carry their token in the path: log only its start, never the whole token. */
function loggablePath(pathname: string): string {
  return pathname.replace(
    /^(\/api\/downloads\/)([^/]+)/,
    (_match, prefix: string, token: string) => prefix + redactToken(token),
  );
}

/**
 * The one error middleware. It maps VitrineError codes to statuses, turns zod errors into
 * `invalid_request`, and hides everything else behind a generic 500 whose detail goes only to
 * the log. It logs once, here, where the error is handled.
 */
export function errorHandler(logger: Logger): ErrorRequestHandler {
  return (err, req, res, _next) => {
    let error: VitrineError;
    if (err instanceof VitrineError) {
      error = err;
    } else if (err instanceof ZodError) {
      error = new VitrineError(
        'invalid_request',
        `The request is not valid: ${describeIssues(err)}.`,
        {
          details: err.issues,
        },
      );
    } else if (err?.type === 'entity.too.large') {
      error = new VitrineError(
        'payload_too_large',
        'The request body is larger than this endpoint accepts.',
      );
    } else if (err?.type === 'entity.parse.failed') {
      error = new VitrineError('invalid_request', 'The request body is not valid JSON.');
    } else if (isClientError(err)) {
      // The body parsers and the router mark what the client got wrong with a 4xx status: a
      // Content-Encoding that does not inflate or is unknown, an unknown charset, a path with a
      // broken percent-encoding. Their messages are safe to show when `expose` is set.
      const detail = err.expose === true ? `: ${String(err.message)}` : '';
      error =
        err.status === 415
          ? new VitrineError(
              'unsupported_media_type',
              `The request body cannot be read${detail}. Send JSON in UTF-8, uncompressed or with gzip, deflate or br.`,
              { cause: err },
            )
          : new VitrineError(
              'invalid_request',
              `The request cannot be read${detail || ': its URL or body is malformed'}.`,
              { cause: err },
            );
    } else {
      error = new VitrineError(
        'internal_error',
        'Something went wrong on the server. Try again in a moment.',
        {
          cause: err,
        },
      );
    }

    const fields = {
      method: req.method,
      path: loggablePath(req.path),
      code: error.code,
      status: error.status,
    };
    if (err instanceof VitrineError && error.code !== 'internal_error' && error.status >= 500) {
      // A condition the code expected and explained to the client (payments not configured,
      // Stripe unreachable): one warning line with the cause, not a stack per shopper click.
      const cause = err.cause instanceof Error ? err.cause.message : undefined;
      logger.warn({ ...fields, cause }, error.message);
    } else if (error.status >= 500) {
      logger.error({ ...fields, err }, 'request failed');
    } else {
      logger.debug(fields, 'request refused');
    }

    if (res.headersSent) {
      res.destroy();
      return;
    }
    const body: ErrorBody = { error: { code: error.code, message: error.message } };
    if (error.hint) body.error.hint = error.hint;
    if (error.details !== undefined) body.error.details = error.details;
    res.status(error.status).json(body);
  };
}
