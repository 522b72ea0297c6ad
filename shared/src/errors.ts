/**
 * Error codes the HTTP API sends in `{ error: { code, message } }`. Once shipped, a code never
 * changes: the storefront, the desktop app and outside checks branch on it.
 */
export const ERROR_STATUS = {
  invalid_request: 400,
  invalid_signature: 400,
  unauthorized: 401,
  invalid_token: 401,
  forbidden: 403,
  download_limit_reached: 403,
  grant_revoked: 403,
  not_found: 404,
  conflict: 409,
  order_not_payable: 409,
  invalid_transition: 409,
  payload_too_large: 413,
  unsupported_media_type: 415,
  range_not_satisfiable: 416,
  invalid_model: 422,
  amount_too_small: 422,
  out_of_stock: 409,
  shipping_unavailable: 422,
  rate_limited: 429,
  payments_not_configured: 503,
  payment_provider_error: 502,
  internal_error: 500,
} as const;

export type ErrorCode = keyof typeof ERROR_STATUS;

export interface VitrineErrorOptions {
  /** A next step for the person who reads the message. */
  hint?: string;
  /** Extra machine-readable detail sent to the client (validator findings, field issues). */
  details?: unknown;
  cause?: unknown;
  /** Overrides the status the code maps to; rarely needed. */
  status?: number;
}

/**
 * The one error class of the project. `code` is a machine word from {@link ERROR_STATUS},
 * `message` is written for a person (what happened, why, what to do).
 */
export class VitrineError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly hint?: string;
  readonly details?: unknown;

  constructor(code: ErrorCode, message: string, options: VitrineErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'VitrineError';
    this.code = code;
    this.status = options.status ?? ERROR_STATUS[code];
    this.hint = options.hint;
    this.details = options.details;
  }
}

export function isVitrineError(value: unknown): value is VitrineError {
  return value instanceof VitrineError;
}

/** The JSON body of every error response. */
export interface ErrorBody {
  error: { code: string; message: string; hint?: string; details?: unknown };
}
