import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { safeStorage } from 'electron';
import { ProblemError } from '../../src/main/problems.js';
import { normaliseServerUrl, SESSION_ONLY_NOTE, SettingsStore } from '../../src/main/settings.js';

// safeStorage stand-in: real AES-GCM under a key of this test run, like the OS keychain would.
vi.mock('electron', () => {
  const key = crypto.randomBytes(32);
  return {
    safeStorage: {
      isEncryptionAvailable: vi.fn(() => true),
      getSelectedStorageBackend: vi.fn(() => 'gnome_libsecret'),
      encryptString: vi.fn((plain: string) => {
        const iv = crypto.randomBytes(12);
        const cipher = crypto.createCipheriv('aes-256-gcm', key, iv);
        const body = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
        return Buffer.concat([iv, cipher.getAuthTag(), body]);
      }),
      decryptString: vi.fn((data: Buffer) => {
        const decipher = crypto.createDecipheriv('aes-256-gcm', key, data.subarray(0, 12));
        decipher.setAuthTag(data.subarray(12, 28));
        return Buffer.concat([decipher.update(data.subarray(28)), decipher.final()]).toString(
          'utf8',
        );
      }),
    },
  };
});

const TOKEN = 'test-admin-token-0123456789abcdef';
const box = vi.mocked(safeStorage);

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vitrine-settings-'));
  box.isEncryptionAvailable.mockReturnValue(true);
  box.getSelectedStorageBackend.mockReturnValue('gnome_libsecret');
  box.encryptString.mockClear();
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

function fileText(store: SettingsStore): string {
  return fs.readFileSync(store.file, 'utf8');
}

describe('SettingsStore.save()', () => {
  it('writes the token only encrypted, never in plain text', () => {
    const store = new SettingsStore(dir, safeStorage);
    const view = store.save('http://127.0.0.1:3000', TOKEN);

    const text = fileText(store);
    expect(text).not.toContain(TOKEN);
    expect(text).not.toContain(Buffer.from(TOKEN).toString('base64'));
    expect(text).not.toContain(Buffer.from(TOKEN).toString('hex'));
    const saved = JSON.parse(text);
    expect(saved).toEqual({
      version: 1,
      serverUrl: 'http://127.0.0.1:3000',
      encryptedToken: expect.any(String),
    });
    expect(box.encryptString).toHaveBeenCalledWith(TOKEN);
    expect(view).toEqual({
      serverUrl: 'http://127.0.0.1:3000',
      configured: true,
      tokenStorage: 'encrypted',
      storageNote: null,
    });
  });

  it('makes the settings file readable by the owner only', () => {
    const store = new SettingsStore(dir, safeStorage);
    store.save('http://127.0.0.1:3000', TOKEN);
    expect(fs.statSync(store.file).mode & 0o777).toBe(0o600);
  });

  it('gives the token back on the next start through safeStorage', () => {
    new SettingsStore(dir, safeStorage).save('http://127.0.0.1:3000', TOKEN);

    const next = new SettingsStore(dir, safeStorage);
    next.load();
    expect(next.token).toBe(TOKEN);
    expect(next.view().tokenStorage).toBe('encrypted');
  });

  it('keeps the token for the session only when safeStorage is unavailable, and says so', () => {
    box.isEncryptionAvailable.mockReturnValue(false);
    const store = new SettingsStore(dir, safeStorage);
    const view = store.save('http://127.0.0.1:3000', TOKEN);

    expect(store.token).toBe(TOKEN);
    expect(view.tokenStorage).toBe('session');
    expect(view.configured).toBe(true);
    expect(view.storageNote).toBe(SESSION_ONLY_NOTE);
    expect(box.encryptString).not.toHaveBeenCalled();
    expect(JSON.parse(fileText(store))).toEqual({ version: 1, serverUrl: 'http://127.0.0.1:3000' });
    expect(fileText(store)).not.toContain(TOKEN);

    const next = new SettingsStore(dir, safeStorage);
    next.load();
    expect(next.token).toBeNull();
    expect(next.view()).toMatchObject({ serverUrl: 'http://127.0.0.1:3000', configured: false });
  });

  it("treats Linux's basic_text backend (a hard-coded key) as no encryption", () => {
    box.getSelectedStorageBackend.mockReturnValue('basic_text');
    const store = new SettingsStore(dir, safeStorage);
    expect(store.save('http://127.0.0.1:3000', TOKEN).tokenStorage).toBe('session');
    expect(fileText(store)).not.toContain('encryptedToken');
  });
});

describe('SettingsStore.load()', () => {
  it('starts unconfigured without a settings file', () => {
    const store = new SettingsStore(dir, safeStorage);
    store.load();
    expect(store.view()).toEqual({
      serverUrl: null,
      configured: false,
      tokenStorage: 'none',
      storageNote: null,
    });
  });

  it('asks for the token again when it cannot be decrypted any more', () => {
    new SettingsStore(dir, safeStorage).save('http://127.0.0.1:3000', TOKEN);
    box.decryptString.mockImplementationOnce(() => {
      throw new Error(
        'Error while decrypting the ciphertext provided to safeStorage.decryptString.',
      );
    });
    const next = new SettingsStore(dir, safeStorage);
    next.load();
    expect(next.token).toBeNull();
    expect(next.view().configured).toBe(false);
    expect(next.view().storageNote).toMatch(/could not be decrypted/);
  });

  it('survives a damaged settings file and says so', () => {
    fs.writeFileSync(path.join(dir, 'settings.json'), '{ not json');
    const store = new SettingsStore(dir, safeStorage);
    store.load();
    expect(store.view().configured).toBe(false);
    expect(store.view().storageNote).toMatch(/could not be read/);
  });
});

describe('SettingsStore.forget()', () => {
  it('removes the token from memory and disk but keeps the address', () => {
    const store = new SettingsStore(dir, safeStorage);
    store.save('http://127.0.0.1:3000', TOKEN);
    const view = store.forget();
    expect(view).toMatchObject({
      serverUrl: 'http://127.0.0.1:3000',
      configured: false,
      tokenStorage: 'none',
    });
    expect(JSON.parse(fileText(store))).toEqual({ version: 1, serverUrl: 'http://127.0.0.1:3000' });
  });
});

describe('normaliseServerUrl()', () => {
  it.each([
    ['http://127.0.0.1:3000/', 'http://127.0.0.1:3000'],
    ['  http://localhost:3000  ', 'http://localhost:3000'],
    ['https://shop.example.com', 'https://shop.example.com'],
    ['https://example.com/store/', 'https://example.com/store'],
    ['http://192.168.1.20:3000', 'http://192.168.1.20:3000'],
    ['http://shop.local:3000', 'http://shop.local:3000'],
  ])('accepts %s as %s', (input, expected) => {
    expect(normaliseServerUrl(input)).toBe(expected);
  });

  it.each([
    ['shop.example.com', /not a web address/],
    ['ftp://shop.example.com', /speaks http or https/],
    ['https://owner:pw@shop.example.com', /user name or password/],
    ['http://shop.example.com', /unencrypted/],
  ])('refuses %s', (input, message) => {
    let error: unknown;
    try {
      normaliseServerUrl(input);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ProblemError);
    expect((error as ProblemError).problem.cause).toMatch(message);
  });
});
