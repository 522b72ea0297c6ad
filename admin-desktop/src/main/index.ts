import path from 'node:path';
import { app, BrowserWindow, ipcMain, protocol, safeStorage, session, shell } from 'electron';
import { EVENT_CHANNELS } from '../common/channels.js';
import { registerIpcHandlers } from './ipc.js';
import { serveAppFile } from './protocol.js';
import { createAdminService } from './service.js';
import { SettingsStore, type SecretBox } from './settings.js';
import { APP_ENTRY, APP_SCHEME, hardenWebContents, mainWindowOptions } from './window.js';

// The bundle lives in dist/main; its siblings are dist/preload and dist/renderer.
const PRELOAD = path.join(__dirname, '..', 'preload', 'index.cjs');
const RENDERER_ROOT = path.join(__dirname, '..', 'renderer');

// Must run before `ready`: `app:` behaves like https (a real origin for 'self' in the CSP);
// corsEnabled lets the page load its bundle as an ES module from that origin.
protocol.registerSchemesAsPrivileged([
  {
    scheme: APP_SCHEME,
    privileges: { standard: true, secure: true, supportFetchAPI: true, corsEnabled: true },
  },
]);
app.enableSandbox();

let mainWindow: BrowserWindow | null = null;

function createWindow(): BrowserWindow {
  const window = new BrowserWindow(mainWindowOptions(PRELOAD));
  window.once('ready-to-show', () => window.show());
  window.on('closed', () => {
    if (mainWindow === window) mainWindow = null;
  });
  void window.loadURL(APP_ENTRY);
  return window;
}

function secretBox(): SecretBox {
  return {
    isEncryptionAvailable: () => safeStorage.isEncryptionAvailable(),
    encryptString: (plain) => safeStorage.encryptString(plain),
    decryptString: (encrypted) => safeStorage.decryptString(encrypted),
    // Only Linux has a backend name; elsewhere availability alone is the answer.
    getSelectedStorageBackend:
      process.platform === 'linux' ? () => safeStorage.getSelectedStorageBackend() : undefined,
  };
}

async function start(): Promise<void> {
  await app.whenReady();

  // Deny every permission prompt (camera, notifications, …) and every web request the renderer
  // might try: it reaches the server only through main.
  session.defaultSession.setPermissionRequestHandler((_contents, _permission, callback) =>
    callback(false),
  );
  session.defaultSession.setPermissionCheckHandler(() => false);
  session.defaultSession.webRequest.onBeforeRequest(
    { urls: ['http://*/*', 'https://*/*', 'ws://*/*', 'wss://*/*'] },
    (details, callback) => {
      console.warn('Vitrine: blocked a renderer request', { url: details.url.slice(0, 120) });
      callback({ cancel: true });
    },
  );
  protocol.handle(APP_SCHEME, (request) => serveAppFile(RENDERER_ROOT, request));

  const settings = new SettingsStore(app.getPath('userData'), secretBox());
  settings.load();
  const service = createAdminService({
    settings,
    emitProgress: (progress) => {
      if (mainWindow && !mainWindow.isDestroyed()) {
        mainWindow.webContents.send(EVENT_CHANNELS.uploadProgress, progress);
      }
    },
    openExternal: (url) => shell.openExternal(url),
  });
  registerIpcHandlers(
    ipcMain,
    () => mainWindow,
    service,
    (channel, url) => {
      console.warn('Vitrine: refused an IPC call from an unknown sender', { channel, url });
    },
  );

  mainWindow = createWindow();
  app.on('activate', () => {
    if (BrowserWindow.getAllWindows().length === 0) mainWindow = createWindow();
  });
}

if (!app.requestSingleInstanceLock()) {
  app.quit();
} else {
  app.on('second-instance', () => {
    if (mainWindow?.isMinimized()) mainWindow.restore();
    mainWindow?.focus();
  });
  app.on('web-contents-created', (_event, contents) => {
    hardenWebContents(contents, { openExternal: (url) => shell.openExternal(url) });
  });
  app.on('window-all-closed', () => {
    if (process.platform !== 'darwin') app.quit();
  });
  start().catch((error: unknown) => {
    console.error('Vitrine: the admin app could not start', error);
    app.exit(1);
  });
}
