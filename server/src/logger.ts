import pino from 'pino';
import type { Config } from './config.js';

/** The closed set of areas a log line belongs to. */
export type LogArea =
  | 'server'
  | 'catalog'
  | 'checkout'
  | 'webhook'
  | 'fulfillment'
  | 'downloads'
  | 'publish'
  | 'admin'
  | 'mail';

export type Logger = pino.Logger;

/**
 * One levelled logger per process: JSON in production, readable lines in development, silent
 * in tests unless LOG_LEVEL says otherwise. Redaction is a second line of defence; code must
 * still log only prefixes or hashes of tokens, client secrets and keys.
 */
export function createLogger(config: Pick<Config, 'env' | 'logLevel'>): Logger {
  const pretty = config.env === 'development';
  return pino({
    level: config.logLevel,
    redact: {
      paths: [
        'req.headers.authorization',
        'req.headers["stripe-signature"]',
        '*.clientSecret',
        '*.client_secret',
        '*.token',
        '*.secret',
        '*.apiKey',
      ],
      censor: '[redacted]',
    },
    ...(pretty
      ? { transport: { target: 'pino-pretty', options: { ignore: 'pid,hostname' } } }
      : {}),
  });
}

/** A child logger for one area, so every line carries `area`. */
export function areaLogger(logger: Logger, area: LogArea): Logger {
  return logger.child({ area });
}

/** A short, non-reversible reference to a secret value for logs. */
export function redactToken(value: string): string {
  return value.length <= 8 ? '…' : `${value.slice(0, 6)}…`;
}
