import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';

/** The repository root: `npm start` runs inside `server/`, but `./data` means the root's. */
export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

const PLACEHOLDER = /^(changeme|change-me|xxx+|your[_-].*|sk_test_x+|pk_test_x+|whsec_x+)$/i;

/** Hosts reserved for documentation (RFC 2606), as in .env.example. */
const EXAMPLE_HOST = /(^|[./@])example\.(com|org|net)(\b|$)/i;

const optionalString = z
  .string()
  .trim()
  .transform((value) => (value === '' ? undefined : value))
  .optional();

/** An amount in minor units: digits only, so "5.00" is refused instead of read as 5 cents. */
const minorUnits = z
  .string()
  .trim()
  .regex(/^\d+$/, 'an amount in minor units (whole number), e.g. 500 for 5.00')
  .transform(Number);

/** Weight bands as `maxGrams:amount` pairs, e.g. `500:490,2000:990`. */
const weightBands = z.string().transform((value, ctx) => {
  const bands: { maxGrams: number; amount: number }[] = [];
  for (const part of value
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean)) {
    const match = /^(\d+):(\d+)$/.exec(part);
    if (!match) {
      ctx.addIssue({ code: 'custom', message: `"${part}" is not maxGrams:amount` });
      return z.NEVER;
    }
    bands.push({ maxGrams: Number(match[1]), amount: Number(match[2]) });
  }
  return bands.sort((a, b) => a.maxGrams - b.maxGrams);
});

const envSchema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).optional(),
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  HOST: optionalString,
  PUBLIC_URL: z.url().optional(),
  DATA_DIR: optionalString,
  STORE_NAME: z.string().trim().min(1).default('Vitrine Demo Store'),
  STORE_CURRENCY: z
    .string()
    .trim()
    .toLowerCase()
    .regex(/^[a-z]{3}$/, 'a lowercase ISO 4217 code such as "usd"')
    .default('usd'),
  STRIPE_SECRET_KEY: optionalString.pipe(
    z
      .string()
      .regex(/^(sk|rk)_(test|live)_/, 'must start with sk_test_ or sk_live_')
      .optional(),
  ),
  STRIPE_PUBLISHABLE_KEY: optionalString.pipe(
    z
      .string()
      .regex(/^pk_(test|live)_/, 'must start with pk_test_ or pk_live_')
      .optional(),
  ),
  STRIPE_WEBHOOK_SECRET: optionalString.pipe(
    z
      .string()
      .regex(/^whsec_/, 'must start with whsec_')
      .optional(),
  ),
  STRIPE_API_BASE: z.url().optional(),
  ADMIN_TOKEN: optionalString.pipe(z.string().min(24, 'use at least 24 characters').optional()),
  DOWNLOAD_TOKEN_SECRET: optionalString.pipe(
    z.string().min(32, 'use at least 32 characters').optional(),
  ),
  DOWNLOAD_TTL_DAYS: z.coerce.number().positive().max(365).default(7),
  DOWNLOAD_LIMIT: z.coerce.number().int().min(1).max(1000).default(5),
  MAX_UPLOAD_BYTES: z.coerce
    .number()
    .int()
    .positive()
    .default(2 * 1024 ** 3),
  ORDER_TTL_MINUTES: z.coerce.number().int().positive().default(60),
  SMTP_URL: optionalString.pipe(z.url().optional()),
  MAIL_FROM: optionalString,
  SHIPPING_COUNTRIES: z.string().default('US,CA,GB,DE,FR,NL,AT,BE,IT,ES'),
  SHIPPING_MODE: z.enum(['flat', 'per_item', 'weight']).default('flat'),
  SHIPPING_FLAT_AMOUNT: minorUnits.default(500),
  SHIPPING_PER_ITEM_AMOUNT: minorUnits.default(300),
  SHIPPING_WEIGHT_BANDS: weightBands.default([
    { maxGrams: 500, amount: 490 },
    { maxGrams: 2000, amount: 990 },
    { maxGrams: 10000, amount: 1990 },
  ]),
  SHIPPING_FREE_OVER: minorUnits.optional(),
  SITE_BUILD: z.enum(['auto', 'off']).default('auto'),
  OUTBOX_POLL_MS: z.coerce.number().int().min(10).max(600_000).default(5000),
  OUTBOX_RETRY_BASE_MS: z.coerce.number().int().min(1).max(600_000).default(1000),
});

export interface ShippingConfig {
  countries: string[];
  mode: 'flat' | 'per_item' | 'weight';
  flatAmount: number;
  perItemAmount: number;
  weightBands: { maxGrams: number; amount: number }[];
  /** Orders whose goods subtotal reaches this amount ship free; undefined means never. */
  freeOver?: number;
}

export interface Config {
  env: 'development' | 'production' | 'test';
  logLevel: string;
  port: number;
  host?: string;
  publicUrl: string;
  dataDir: string;
  storeName: string;
  currency: string;
  stripe: {
    secretKey?: string;
    publishableKey?: string;
    webhookSecret?: string;
    apiBase?: string;
  };
  adminToken: string;
  downloadSecret: string;
  downloadTtlSeconds: number;
  downloadLimit: number;
  maxUploadBytes: number;
  orderTtlMinutes: number;
  smtpUrl?: string;
  mailFrom: string;
  shipping: ShippingConfig;
  siteBuild: 'auto' | 'off';
  /** Email outbox worker: poll interval and the first retry delay (doubling, capped at 10 min). */
  outbox: { pollMs: number; retryBaseMs: number };
  /** True when ADMIN_TOKEN was generated on this start (print it once). */
  adminTokenGenerated: boolean;
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(
      `Vitrine cannot start: the configuration has ${problems.length} problem(s).\n` +
        problems.map((p) => `  - ${p}`).join('\n') +
        '\nEach variable is described in .env.example.',
    );
    this.name = 'ConfigError';
  }
}

const secretsSchema = z.object({
  adminToken: z.string().min(24),
  downloadSecret: z.string().min(32),
});
type Secrets = z.infer<typeof secretsSchema>;

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** Reads `DATA_DIR/secrets.json`, creating it with fresh random values on first start. */
function loadOrCreateSecrets(dataDir: string): { secrets: Secrets; created: boolean } {
  const file = path.join(dataDir, 'secrets.json');
  let text: string | undefined;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  if (text !== undefined) {
    const parsed = secretsSchema.safeParse(safeJson(text));
    if (!parsed.success) {
      throw new ConfigError([
        `${file} is damaged: it must hold { "adminToken", "downloadSecret" }. Restore it from a backup, or delete it to generate new secrets (existing download links and the desktop app's token stop working).`,
      ]);
    }
    return { secrets: parsed.data, created: false };
  }
  const secrets: Secrets = {
    adminToken: crypto.randomBytes(24).toString('base64url'),
    downloadSecret: crypto.randomBytes(48).toString('base64url'),
  };
  fs.mkdirSync(dataDir, { recursive: true });
  // wx: two processes starting at once must not overwrite each other's secrets.
  try {
    fs.writeFileSync(file, JSON.stringify(secrets, null, 2), { mode: 0o600, flag: 'wx' });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return loadOrCreateSecrets(dataDir);
    throw error;
  }
  return { secrets, created: true };
}

/**
 * Reads the environment once, reports every problem in one error, and fills in the embedded
 * defaults: data under `./data`, secrets generated once into it.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  // An empty value means unset: `PORT=` must not become port 0, nor `SHIPPING_FREE_OVER=` free
  // shipping on every order.
  env = Object.fromEntries(
    Object.entries(env).filter(([, value]) => value !== undefined && value.trim() !== ''),
  );
  const problems: string[] = [];
  const secretNames = [
    'STRIPE_SECRET_KEY',
    'STRIPE_PUBLISHABLE_KEY',
    'STRIPE_WEBHOOK_SECRET',
    'ADMIN_TOKEN',
    'DOWNLOAD_TOKEN_SECRET',
  ];
  const placeholders = new Set<string>();
  for (const name of secretNames) {
    const value = env[name]?.trim();
    if (value && PLACEHOLDER.test(value)) {
      placeholders.add(name);
      problems.push(
        `${name}: still holds the placeholder from .env.example; put the real value in or remove the line`,
      );
    }
  }
  for (const name of ['PUBLIC_URL', 'SMTP_URL', 'MAIL_FROM']) {
    if (EXAMPLE_HOST.test(env[name] ?? '')) {
      problems.push(
        `${name}: still points at example.com from .env.example; use your own address or remove the line`,
      );
      placeholders.add(name);
    }
  }
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const name = issue.path.join('.');
      if (!placeholders.has(name)) problems.push(`${name}: ${issue.message}`);
    }
    throw new ConfigError(problems);
  }
  const e = parsed.data;
  const live = [e.STRIPE_SECRET_KEY, e.STRIPE_PUBLISHABLE_KEY].some((k) => k?.includes('_live_'));
  if (live && e.NODE_ENV !== 'production') {
    problems.push(
      'STRIPE_SECRET_KEY: live keys are refused unless NODE_ENV=production; use test keys (sk_test_…) for development',
    );
  }
  if (e.STRIPE_SECRET_KEY && !e.STRIPE_PUBLISHABLE_KEY) {
    problems.push(
      'STRIPE_PUBLISHABLE_KEY: required when STRIPE_SECRET_KEY is set, so the checkout page can load the Payment Element',
    );
  }
  const countries = e.SHIPPING_COUNTRIES.split(',')
    .map((c) => c.trim().toUpperCase())
    .filter(Boolean);
  for (const country of countries) {
    if (!/^[A-Z]{2}$/.test(country))
      problems.push(`SHIPPING_COUNTRIES: "${country}" is not an ISO 3166-1 alpha-2 code`);
  }
  if (problems.length) throw new ConfigError(problems);

  const dataDir = path.resolve(REPO_ROOT, e.DATA_DIR ?? 'data');
  const needsSecrets = !e.ADMIN_TOKEN || !e.DOWNLOAD_TOKEN_SECRET;
  const { secrets, created } = needsSecrets
    ? loadOrCreateSecrets(dataDir)
    : { secrets: undefined, created: false };

  return {
    env: e.NODE_ENV,
    logLevel: e.LOG_LEVEL ?? (e.NODE_ENV === 'test' ? 'silent' : 'info'),
    port: e.PORT,
    host: e.HOST,
    publicUrl: (e.PUBLIC_URL ?? `http://localhost:${e.PORT}`).replace(/\/+$/, ''),
    dataDir,
    storeName: e.STORE_NAME,
    currency: e.STORE_CURRENCY,
    stripe: {
      secretKey: e.STRIPE_SECRET_KEY,
      publishableKey: e.STRIPE_PUBLISHABLE_KEY,
      webhookSecret: e.STRIPE_WEBHOOK_SECRET,
      apiBase: e.STRIPE_API_BASE,
    },
    adminToken: e.ADMIN_TOKEN ?? secrets!.adminToken,
    downloadSecret: e.DOWNLOAD_TOKEN_SECRET ?? secrets!.downloadSecret,
    downloadTtlSeconds: Math.round(e.DOWNLOAD_TTL_DAYS * 86400),
    downloadLimit: e.DOWNLOAD_LIMIT,
    maxUploadBytes: e.MAX_UPLOAD_BYTES,
    orderTtlMinutes: e.ORDER_TTL_MINUTES,
    smtpUrl: e.SMTP_URL,
    mailFrom: e.MAIL_FROM ?? `${e.STORE_NAME} <orders@localhost>`,
    shipping: {
      countries,
      mode: e.SHIPPING_MODE,
      flatAmount: e.SHIPPING_FLAT_AMOUNT,
      perItemAmount: e.SHIPPING_PER_ITEM_AMOUNT,
      weightBands: e.SHIPPING_WEIGHT_BANDS,
      freeOver: e.SHIPPING_FREE_OVER,
    },
    siteBuild: e.SITE_BUILD,
    outbox: { pollMs: e.OUTBOX_POLL_MS, retryBaseMs: e.OUTBOX_RETRY_BASE_MS },
    adminTokenGenerated: created && !e.ADMIN_TOKEN,
  };
}
