import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../src/config.js';

const dirs: string[] = [];
function tempDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vitrine-config-'));
  dirs.push(dir);
  return dir;
}
afterEach(() => {
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

describe('loadConfig()', () => {
  it('starts on the embedded default and generates secrets once into DATA_DIR', () => {
    const dataDir = tempDir();

    const first = loadConfig({ DATA_DIR: dataDir });
    const second = loadConfig({ DATA_DIR: dataDir });

    expect(first.port).toBe(3000);
    expect(first.adminTokenGenerated).toBe(true);
    expect(second.adminTokenGenerated).toBe(false);
    expect(second.adminToken).toBe(first.adminToken);
    expect(second.downloadSecret).toBe(first.downloadSecret);
    expect(first.adminToken.length).toBeGreaterThanOrEqual(24);
    expect(fs.statSync(path.join(dataDir, 'secrets.json')).mode & 0o077).toBe(0);
  });

  it('reports every wrong variable in one message', () => {
    const error = (() => {
      try {
        loadConfig({
          DATA_DIR: tempDir(),
          PORT: 'abc',
          STRIPE_SECRET_KEY: 'nope',
          STORE_CURRENCY: 'euro',
        });
      } catch (e) {
        return e as ConfigError;
      }
      throw new Error('loadConfig() accepted a broken environment');
    })();

    expect(error).toBeInstanceOf(ConfigError);
    expect(error.problems).toHaveLength(3);
    expect(error.message).toMatch(/PORT/);
    expect(error.message).toMatch(/STRIPE_SECRET_KEY/);
    expect(error.message).toMatch(/STORE_CURRENCY/);
    expect(error.message).toMatch(/\.env\.example/);
  });

  it('refuses live Stripe keys outside production', () => {
    expect(() =>
      loadConfig({
        DATA_DIR: tempDir(),
        STRIPE_SECRET_KEY: 'sk_live_abcdefghijklmnop',
        STRIPE_PUBLISHABLE_KEY: 'pk_live_abcdefghijklmnop',
      }),
    ).toThrow(/live keys are refused unless NODE_ENV=production/);

    const config = loadConfig({
      DATA_DIR: tempDir(),
      NODE_ENV: 'production',
      STRIPE_SECRET_KEY: 'sk_live_abcdefghijklmnop',
      STRIPE_PUBLISHABLE_KEY: 'pk_live_abcdefghijklmnop',
    });
    expect(config.stripe.secretKey).toBe('sk_live_abcdefghijklmnop');
  });

  it('detects placeholders left over from .env.example', () => {
    expect(() =>
      loadConfig({
        DATA_DIR: tempDir(),
        ADMIN_TOKEN: 'changeme',
        STRIPE_WEBHOOK_SECRET: 'whsec_xxx',
      }),
    ).toThrow(/placeholder/);
  });

  it('parses shipping weight bands and countries', () => {
    const config = loadConfig({
      DATA_DIR: tempDir(),
      SHIPPING_COUNTRIES: 'de, at ,CH',
      SHIPPING_MODE: 'weight',
      SHIPPING_WEIGHT_BANDS: '2000:990,500:490',
    });

    expect(config.shipping.countries).toEqual(['DE', 'AT', 'CH']);
    expect(config.shipping.weightBands).toEqual([
      { maxGrams: 500, amount: 490 },
      { maxGrams: 2000, amount: 990 },
    ]);
  });

  it('treats empty values as unset instead of zero', () => {
    const config = loadConfig({
      DATA_DIR: tempDir(),
      PORT: '',
      SHIPPING_FLAT_AMOUNT: ' ',
      SHIPPING_FREE_OVER: '',
    });

    expect(config.port).toBe(3000);
    expect(config.shipping.flatAmount).toBe(500);
    expect(config.shipping.freeOver).toBeUndefined();
  });

  it('refuses shipping amounts written with a decimal point', () => {
    expect(() => loadConfig({ DATA_DIR: tempDir(), SHIPPING_FLAT_AMOUNT: '5.00' })).toThrow(
      /SHIPPING_FLAT_AMOUNT: an amount in minor units/,
    );
  });

  it('refuses example.com addresses left over from .env.example', () => {
    expect(() =>
      loadConfig({
        DATA_DIR: tempDir(),
        PUBLIC_URL: 'https://shop.example.com',
        MAIL_FROM: 'Shop <orders@example.com>',
      }),
    ).toThrow(
      /PUBLIC_URL: still points at example\.com[\s\S]*MAIL_FROM: still points at example\.com/,
    );
  });

  it('explains a damaged secrets.json instead of starting with broken secrets', () => {
    const dataDir = tempDir();
    fs.writeFileSync(path.join(dataDir, 'secrets.json'), '{}');
    expect(() => loadConfig({ DATA_DIR: dataDir })).toThrow(/secrets\.json is damaged/);

    fs.writeFileSync(path.join(dataDir, 'secrets.json'), '{ not json');
    expect(() => loadConfig({ DATA_DIR: dataDir })).toThrow(ConfigError);
  });
});
