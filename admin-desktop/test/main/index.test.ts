import { EventEmitter } from 'node:events';
import path from 'node:path';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { app, BrowserWindow, ipcMain, protocol, session, shell } from 'electron';
import { INVOKE_CHANNELS } from '../../src/common/channels.js';
import { RENDERER_CSP } from '../../src/main/protocol.js';

// The whole Electron surface that main/index.ts touches, recorded for the assertions below.
vi.mock('electron', async () => {
  const { EventEmitter } = await import('node:events');
  const fs = await import('node:fs');
  const os = await import('node:os');
  const path = await import('node:path');
  const userData = fs.mkdtempSync(path.join(os.tmpdir(), 'vitrine-userdata-'));
  const app = Object.assign(new EventEmitter(), {
    whenReady: vi.fn(() => Promise.resolve()),
    requestSingleInstanceLock: vi.fn(() => true),
    enableSandbox: vi.fn(),
    getPath: vi.fn(() => userData),
    quit: vi.fn(),
    exit: vi.fn(),
  });
  class BrowserWindow extends EventEmitter {
    static created: BrowserWindow[] = [];
    static getAllWindows = () => BrowserWindow.created;
    loadURL = vi.fn(async () => {});
    isDestroyed = () => false;
    webContents = {
      send: vi.fn(),
      mainFrame: { processId: 1, routingId: 1, url: 'app://vitrine/index.html' },
    };
    constructor(readonly options: unknown) {
      super();
      BrowserWindow.created.push(this);
    }
  }
  return {
    app,
    BrowserWindow,
    ipcMain: { handle: vi.fn(), removeHandler: vi.fn() },
    protocol: { registerSchemesAsPrivileged: vi.fn(), handle: vi.fn() },
    safeStorage: {
      isEncryptionAvailable: () => false,
      encryptString: vi.fn(),
      decryptString: vi.fn(),
      getSelectedStorageBackend: () => 'basic_text',
    },
    session: {
      defaultSession: {
        setPermissionRequestHandler: vi.fn(),
        setPermissionCheckHandler: vi.fn(),
        webRequest: { onBeforeRequest: vi.fn() },
      },
    },
    shell: { openExternal: vi.fn(async () => {}) },
  };
});

type FakeWindow = EventEmitter & {
  options: Electron.BrowserWindowConstructorOptions;
  loadURL: ReturnType<typeof vi.fn>;
};
const created = (BrowserWindow as unknown as { created: FakeWindow[] }).created;

beforeAll(async () => {
  await import('../../src/main/index.js');
  await vi.waitFor(() => expect(created.length).toBe(1));
});

describe('main process start', () => {
  it('registers app: as a secure standard scheme before the app is ready', () => {
    expect(protocol.registerSchemesAsPrivileged).toHaveBeenCalledWith([
      {
        scheme: 'app',
        privileges: { standard: true, secure: true, supportFetchAPI: true, corsEnabled: true },
      },
    ]);
    expect(app.enableSandbox).toHaveBeenCalled();
  });

  it('opens one window with the hardened options and the built preload', () => {
    const { options, loadURL } = created[0]!;
    expect(options.webPreferences).toMatchObject({
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      webSecurity: true,
    });
    expect(options.webPreferences?.preload).toMatch(/[/\\]preload[/\\]index\.cjs$/);
    expect(path.isAbsolute(options.webPreferences!.preload!)).toBe(true);
    expect(loadURL).toHaveBeenCalledWith('app://vitrine/index.html');
  });

  it('serves the renderer through app: with the CSP header', async () => {
    const [scheme, handler] = vi.mocked(protocol.handle).mock.calls[0]!;
    expect(scheme).toBe('app');
    const response = await handler(new Request('app://vitrine/nothing-here.js'));
    expect(response.status).toBe(404);
    expect(RENDERER_CSP).toContain("default-src 'self'");
  });

  it('registers a guarded handler for every bridge function', () => {
    const channels = vi.mocked(ipcMain.handle).mock.calls.map(([channel]) => channel);
    expect(channels.sort()).toEqual(Object.values(INVOKE_CHANNELS).sort());
  });

  it('denies permission prompts and cancels every web request of the renderer', () => {
    const { defaultSession } = session;
    const [permission] = vi.mocked(defaultSession.setPermissionRequestHandler).mock.calls[0]!;
    const answer = vi.fn();
    permission!({} as Electron.WebContents, 'media', answer, {} as Electron.PermissionRequest);
    expect(answer).toHaveBeenCalledWith(false);

    const [filter, listener] = vi.mocked(defaultSession.webRequest.onBeforeRequest).mock
      .calls[0] as unknown as [
      { urls: string[] },
      (details: { url: string }, callback: (response: { cancel: boolean }) => void) => void,
    ];
    expect(filter.urls).toEqual(expect.arrayContaining(['http://*/*', 'https://*/*']));
    const callback = vi.fn();
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    listener({ url: 'https://example.com/beacon' }, callback);
    warn.mockRestore();
    expect(callback).toHaveBeenCalledWith({ cancel: true });
  });

  it('hardens every web contents the app creates', () => {
    const contents = Object.assign(new EventEmitter(), { setWindowOpenHandler: vi.fn() });
    app.emit('web-contents-created', {}, contents);
    const [handler] = contents.setWindowOpenHandler.mock.calls[0]!;
    expect(handler({ url: 'https://example.com/' })).toEqual({ action: 'deny' });
    expect(shell.openExternal).toHaveBeenCalledWith('https://example.com/');

    const event = { preventDefault: vi.fn() };
    contents.emit('will-navigate', event, 'file:///etc/passwd');
    expect(event.preventDefault).toHaveBeenCalled();
    expect(shell.openExternal).toHaveBeenCalledTimes(1);
  });

  it('keeps settings in the userData folder', () => {
    expect(app.getPath).toHaveBeenCalledWith('userData');
  });
});
