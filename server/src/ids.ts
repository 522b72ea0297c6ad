import crypto from 'node:crypto';

/**
 * Random identifiers. Order ids and keys carry 128+ bits from the CSPRNG and never derive from
 * the clock, so they cannot be guessed or enumerated.
 */
export function newId(prefix: string, bytes = 16): string {
  return `${prefix}_${crypto.randomBytes(bytes).toString('base64url')}`;
}

export function sha256Hex(value: string | Buffer): string {
  return crypto.createHash('sha256').update(value).digest('hex');
}
