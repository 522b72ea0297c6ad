import type { BrowserWindowConstructorOptions, WebContents } from 'electron';
import { isSafeExternalUrl } from './links.js';

/** The renderer's own origin, served by the `app:` protocol handler (see protocol.ts). */
export const APP_SCHEME = 'app';
export const APP_HOST = 'vitrine';
export const APP_ORIGIN = `${APP_SCHEME}://${APP_HOST}`;
export const APP_ENTRY = `${APP_ORIGIN}/index.html`;

/**
 * Window options for the admin window. The renderer holds no secrets and no Node: it is
 * sandboxed, isolated from the preload, and reaches main only through the preload's bridge.
 */
export function mainWindowOptions(preloadPath: string): BrowserWindowConstructorOptions {
  return {
    width: 1280,
    height: 860,
    minWidth: 960,
    minHeight: 640,
    show: false,
    title: 'Vitrine Admin',
    backgroundColor: '#f6f5f2',
    webPreferences: {
      preload: preloadPath,
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
      navigateOnDragDrop: false,
      experimentalFeatures: false,
      spellcheck: true,
    },
  };
}

export interface HardenOptions {
  /** Electron's shell.openExternal; called only with URLs that pass the link filter. */
  openExternal(url: string): Promise<void> | void;
}

/**
 * Denies every navigation and every new window of a WebContents. A link to an http(s) page is
 * handed to the system browser instead; anything else is dropped.
 */
export function hardenWebContents(contents: WebContents, options: HardenOptions): void {
  const handOff = (url: string) => {
    if (isSafeExternalUrl(url)) void options.openExternal(url);
  };
  contents.on('will-navigate', (event, url) => {
    event.preventDefault();
    handOff(url);
  });
  contents.on('will-redirect', (event) => {
    event.preventDefault();
  });
  contents.on('will-attach-webview', (event) => {
    event.preventDefault();
  });
  contents.setWindowOpenHandler(({ url }) => {
    handOff(url);
    return { action: 'deny' };
  });
}
