import { EventEmitter } from 'node:events';
import { describe, expect, it, vi } from 'vitest';
import type { WebContents } from 'electron';
import { hardenWebContents, mainWindowOptions } from '../../src/main/window.js';

vi.mock('electron', () => ({}));

/** A WebContents stand-in: real events, and the window-open handler kept for the test to call. */
function fakeContents() {
  const emitter = new EventEmitter();
  let openHandler: ((details: { url: string }) => { action: string }) | undefined;
  const contents = Object.assign(emitter, {
    setWindowOpenHandler(handler: typeof openHandler) {
      openHandler = handler;
    },
  });
  const navigate = (eventName: string, url: string) => {
    const event = { preventDefault: vi.fn() };
    emitter.emit(eventName, event, url);
    return event;
  };
  return {
    contents: contents as unknown as WebContents,
    navigate,
    open: (url: string) => openHandler!({ url }),
  };
}

describe('mainWindowOptions()', () => {
  it('isolates and sandboxes the renderer without Node', () => {
    const { webPreferences } = mainWindowOptions('/app/dist/preload/index.cjs');
    expect(webPreferences).toMatchObject({
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
      navigateOnDragDrop: false,
    });
  });

  it('loads the given preload script', () => {
    expect(mainWindowOptions('/app/dist/preload/index.cjs').webPreferences?.preload).toBe(
      '/app/dist/preload/index.cjs',
    );
  });
});

describe('hardenWebContents()', () => {
  it('cancels every navigation of the window', () => {
    const openExternal = vi.fn();
    const { contents, navigate } = fakeContents();
    hardenWebContents(contents, { openExternal });

    for (const url of ['https://evil.example/', 'file:///etc/passwd', 'app://vitrine/other.html']) {
      expect(navigate('will-navigate', url).preventDefault).toHaveBeenCalled();
    }
    expect(navigate('will-redirect', 'https://evil.example/').preventDefault).toHaveBeenCalled();
    expect(
      navigate('will-attach-webview', 'https://evil.example/').preventDefault,
    ).toHaveBeenCalled();
  });

  it('hands a navigated https link to the system browser, and nothing else', () => {
    const openExternal = vi.fn();
    const { contents, navigate } = fakeContents();
    hardenWebContents(contents, { openExternal });

    navigate('will-navigate', 'https://tracking.example.com/123');
    navigate('will-navigate', 'file:///etc/passwd');
    navigate('will-navigate', 'javascript:alert(1)');
    expect(openExternal.mock.calls).toEqual([['https://tracking.example.com/123']]);
  });

  it('denies every new window and opens only http(s) links outside the app', () => {
    const openExternal = vi.fn();
    const { contents, open } = fakeContents();
    hardenWebContents(contents, { openExternal });

    expect(open('https://example.com/help')).toEqual({ action: 'deny' });
    expect(open('file:///home/owner/secret.txt')).toEqual({ action: 'deny' });
    expect(open('javascript:alert(1)')).toEqual({ action: 'deny' });
    expect(open('custom-app://do-something')).toEqual({ action: 'deny' });
    expect(openExternal.mock.calls).toEqual([['https://example.com/help']]);
  });
});
