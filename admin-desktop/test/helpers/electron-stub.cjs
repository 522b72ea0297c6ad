// Loads the BUILT main bundle under Node with a stand-in for the `electron` module, records
// what it asked Electron to do, and prints that as one JSON line. Used by test/scripts to check
// the bundle itself (paths relative to dist/, CommonJS output), not just the sources.
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const Module = require('node:module');
const { EventEmitter } = require('node:events');

const bundle = process.argv[2];
const record = { windows: [], channels: [], schemes: null, protocolHandled: [] };
const userData = fs.mkdtempSync(path.join(os.tmpdir(), 'vitrine-stub-'));

const app = Object.assign(new EventEmitter(), {
  whenReady: () => Promise.resolve(),
  requestSingleInstanceLock: () => true,
  enableSandbox: () => {
    record.sandbox = true;
  },
  getPath: () => userData,
  quit: () => {},
  exit: (code) => {
    record.exit = code;
    report();
  },
});
class BrowserWindow extends EventEmitter {
  static getAllWindows() {
    return [];
  }
  constructor(options) {
    super();
    this.webContents = { send() {}, mainFrame: null };
    record.windows.push({ options });
  }
  loadURL(url) {
    // The last step of main's start: everything else is registered by now.
    record.windows.at(-1).url = url;
    report();
    return Promise.resolve();
  }
  isDestroyed() {
    return false;
  }
}
const electron = {
  app,
  BrowserWindow,
  ipcMain: { handle: (channel) => record.channels.push(channel), removeHandler() {} },
  protocol: {
    registerSchemesAsPrivileged: (schemes) => {
      record.schemes = schemes;
    },
    handle: (scheme) => record.protocolHandled.push(scheme),
  },
  safeStorage: {
    isEncryptionAvailable: () => false,
    encryptString() {},
    decryptString() {},
    getSelectedStorageBackend: () => 'basic_text',
  },
  session: {
    defaultSession: {
      setPermissionRequestHandler() {},
      setPermissionCheckHandler() {},
      webRequest: { onBeforeRequest() {} },
    },
  },
  shell: { openExternal: async () => {} },
};

const load = Module._load;
Module._load = function (request, ...rest) {
  if (request === 'electron') return electron;
  return load.call(this, request, ...rest);
};

function report() {
  const preload = record.windows[0]?.options.webPreferences.preload;
  process.stdout.write(
    JSON.stringify({
      ...record,
      preload,
      preloadExists: preload ? fs.existsSync(preload) : false,
    }) + '\n',
  );
  fs.rmSync(userData, { recursive: true, force: true });
}

require(path.resolve(bundle));
