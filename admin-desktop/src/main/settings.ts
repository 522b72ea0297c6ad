import fs from 'node:fs';
import path from 'node:path';
import type { SettingsView } from '../common/bridge.js';
import { ProblemError } from './problems.js';

/**
 * The parts of Electron's `safeStorage` the settings need, so tests can pass a stand-in.
 * @see https://www.electronjs.org/docs/latest/api/safe-storage
 */
export interface SecretBox {
  isEncryptionAvailable(): boolean;
  encryptString(plain: string): Buffer;
  decryptString(encrypted: Buffer): string;
  /** Linux only: `basic_text` means a hard-coded key, which is no protection at all. */
  getSelectedStorageBackend?(): string;
}

interface SettingsFile {
  version: 1;
  serverUrl: string | null;
  /** The admin token encrypted by the OS keychain through safeStorage, base64. Never plain. */
  encryptedToken?: string;
}

export const SETTINGS_FILE = 'settings.json';

export const SESSION_ONLY_NOTE =
  'This system offers no secure storage for secrets (Electron safeStorage is unavailable), so ' +
  'the admin token is kept in memory for this session only. You will be asked for it again ' +
  'next time.';

/**
 * Server URL and admin token. The URL is stored in plain JSON; the token only encrypted with
 * safeStorage, or not at all: when encryption is unavailable it lives in memory for the session.
 */
export class SettingsStore {
  readonly file: string;
  readonly #box: SecretBox;
  #serverUrl: string | null = null;
  #token: string | null = null;
  #tokenOnDisk = false;
  #loadNote: string | null = null;

  constructor(directory: string, box: SecretBox) {
    this.file = path.join(directory, SETTINGS_FILE);
    this.#box = box;
  }

  /** True when the token can be encrypted at rest on this machine. */
  canEncrypt(): boolean {
    if (!this.#box.isEncryptionAvailable()) return false;
    const backend = this.#box.getSelectedStorageBackend?.();
    return backend !== 'basic_text' && backend !== 'unknown';
  }

  /** Reads the settings file; a missing or damaged file leaves the app unconfigured. */
  load(): void {
    let saved: Partial<SettingsFile>;
    try {
      saved = JSON.parse(fs.readFileSync(this.file, 'utf8')) as Partial<SettingsFile>;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
        this.#loadNote = `The settings file ${this.file} could not be read; enter the server details again.`;
      }
      return;
    }
    this.#serverUrl = typeof saved.serverUrl === 'string' ? saved.serverUrl : null;
    if (typeof saved.encryptedToken === 'string' && this.canEncrypt()) {
      try {
        this.#token = this.#box.decryptString(Buffer.from(saved.encryptedToken, 'base64'));
        this.#tokenOnDisk = true;
      } catch {
        this.#loadNote =
          'The saved admin token could not be decrypted (the system keychain changed); enter it again.';
      }
    } else if (typeof saved.encryptedToken === 'string') {
      this.#loadNote = 'The saved admin token cannot be decrypted on this system; enter it again.';
    }
  }

  get serverUrl(): string | null {
    return this.#serverUrl;
  }

  /** The token, for main-process code only. Never send it to the renderer. */
  get token(): string | null {
    return this.#token;
  }

  view(): SettingsView {
    const configured = Boolean(this.#serverUrl && this.#token);
    const tokenStorage = !this.#token ? 'none' : this.#tokenOnDisk ? 'encrypted' : 'session';
    return {
      serverUrl: this.#serverUrl,
      configured,
      tokenStorage,
      storageNote:
        tokenStorage === 'session'
          ? SESSION_ONLY_NOTE
          : tokenStorage === 'none'
            ? this.#loadNote
            : null,
    };
  }

  /** Keeps a checked URL and token: encrypted on disk when possible, else for the session. */
  save(serverUrl: string, token: string): SettingsView {
    this.#serverUrl = serverUrl;
    this.#token = token;
    this.#loadNote = null;
    const data: SettingsFile = { version: 1, serverUrl };
    if (this.canEncrypt()) {
      data.encryptedToken = this.#box.encryptString(token).toString('base64');
      this.#tokenOnDisk = true;
    } else {
      this.#tokenOnDisk = false;
    }
    this.#write(data);
    return this.view();
  }

  /** Forgets the token (memory and disk) but keeps the server URL for the next sign-in. */
  forget(): SettingsView {
    this.#token = null;
    this.#tokenOnDisk = false;
    this.#write({ version: 1, serverUrl: this.#serverUrl });
    return this.view();
  }

  #write(data: SettingsFile): void {
    const temporary = `${this.file}.${process.pid}.tmp`;
    try {
      fs.mkdirSync(path.dirname(this.file), { recursive: true });
      fs.writeFileSync(temporary, JSON.stringify(data, null, 2), { mode: 0o600 });
      fs.renameSync(temporary, this.file);
    } catch (error) {
      throw new ProblemError(
        {
          what: 'Saving the settings',
          cause: `The settings file ${this.file} could not be written (${(error as Error).message}).`,
          action: 'Check that the app may write to its data folder, then try again.',
          code: 'settings_unwritable',
        },
        { cause: error },
      );
    }
  }
}

const LOOPBACK = /^(localhost|127(?:\.\d{1,3}){3}|\[::1\])$/i;
const PRIVATE_LAN =
  /^(10(?:\.\d{1,3}){3}|192\.168(?:\.\d{1,3}){2}|172\.(1[6-9]|2\d|3[01])(?:\.\d{1,3}){2}|[a-z0-9-]+\.local)$/i;

/**
 * Checks and normalises the server address the owner typed. Plain http is allowed only on this
 * machine or the local network, because the admin token travels in every request.
 */
export function normaliseServerUrl(input: string): string {
  const what = 'Checking the server address';
  let url: URL;
  try {
    url = new URL(input.trim());
  } catch {
    throw new ProblemError({
      what,
      cause: `"${input}" is not a web address.`,
      action:
        'Enter the full address, for example http://127.0.0.1:3000 or https://shop.example.com.',
      code: 'invalid_url',
    });
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new ProblemError({
      what,
      cause: `The address uses ${url.protocol}, but the server speaks http or https.`,
      action: 'Enter an address that starts with https:// (or http:// on this machine).',
      code: 'invalid_url',
    });
  }
  if (url.username || url.password) {
    throw new ProblemError({
      what,
      cause: 'The address contains a user name or password.',
      action: 'Remove them: the admin token is the only credential the app sends.',
      code: 'invalid_url',
    });
  }
  if (url.protocol === 'http:' && !LOOPBACK.test(url.hostname) && !PRIVATE_LAN.test(url.hostname)) {
    throw new ProblemError({
      what,
      cause: `Plain http to ${url.hostname} would send the admin token unencrypted over the internet.`,
      action: 'Use the https:// address of your server.',
      code: 'insecure_url',
    });
  }
  return `${url.origin}${url.pathname.replace(/\/+$/, '')}`;
}
