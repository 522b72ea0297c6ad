import type { BrowserWindow, IpcMain, IpcMainInvokeEvent, WebFrameMain } from 'electron';
import { INVOKE_CHANNELS, type InvokeMethod } from '../common/channels.js';
import type { AdminService } from './service.js';
import { APP_HOST, APP_SCHEME } from './window.js';

/**
 * The IPC sender rule: a call is served only when it comes from the top frame of the app's own
 * window, showing the app's own page. A subframe, another window, or a page that somehow
 * navigated away is refused.
 */
export function isTrustedSender(
  frame: WebFrameMain | null | undefined,
  window: BrowserWindow | null | undefined,
): boolean {
  if (!frame || !window || window.isDestroyed()) return false;
  const main = window.webContents.mainFrame;
  if (!main || frame.processId !== main.processId || frame.routingId !== main.routingId)
    return false;
  try {
    const url = new URL(frame.url);
    return url.protocol === `${APP_SCHEME}:` && url.host === APP_HOST;
  } catch {
    return false;
  }
}

export class UntrustedSenderError extends Error {
  constructor(channel: string) {
    super(`Refused ${channel}: the call did not come from the Vitrine window.`);
    this.name = 'UntrustedSenderError';
  }
}

/**
 * Registers one `ipcMain.handle` per bridge function. Every handler checks the sender first;
 * an untrusted sender gets a rejected invoke and the service is never called.
 */
export function registerIpcHandlers(
  ipcMain: Pick<IpcMain, 'handle' | 'removeHandler'>,
  getWindow: () => BrowserWindow | null,
  service: AdminService,
  onRefused: (channel: string, url: string | undefined) => void = () => {},
): () => void {
  const channels = Object.entries(INVOKE_CHANNELS) as [InvokeMethod, string][];
  for (const [method, channel] of channels) {
    ipcMain.handle(channel, async (event: IpcMainInvokeEvent, ...args: unknown[]) => {
      if (!isTrustedSender(event.senderFrame, getWindow())) {
        onRefused(channel, event.senderFrame?.url);
        throw new UntrustedSenderError(channel);
      }
      const handler = service[method] as (...values: unknown[]) => Promise<unknown>;
      return handler(...args);
    });
  }
  return () => {
    for (const [, channel] of channels) ipcMain.removeHandler(channel);
  };
}
