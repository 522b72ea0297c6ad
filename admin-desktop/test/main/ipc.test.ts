import { beforeEach, describe, expect, it, vi } from 'vitest';
import { ipcMain, type BrowserWindow, type IpcMainInvokeEvent, type WebFrameMain } from 'electron';
import { IPC } from '@vitrine/shared';
import { INVOKE_CHANNELS } from '../../src/common/channels.js';
import { isTrustedSender, registerIpcHandlers } from '../../src/main/ipc.js';
import type { AdminService } from '../../src/main/service.js';

vi.mock('electron', () => {
  const handlers = new Map<string, (...args: unknown[]) => unknown>();
  return {
    ipcMain: {
      handlers,
      handle: vi.fn((channel: string, handler: (...args: unknown[]) => unknown) => {
        if (handlers.has(channel)) throw new Error(`second handler for ${channel}`);
        handlers.set(channel, handler);
      }),
      removeHandler: vi.fn((channel: string) => handlers.delete(channel)),
    },
  };
});

const handlers = (ipcMain as unknown as { handlers: Map<string, (...args: unknown[]) => unknown> })
  .handlers;

function frame(processId: number, routingId: number, url = 'app://vitrine/index.html') {
  return { processId, routingId, url } as WebFrameMain;
}

function windowWithTopFrame(top: WebFrameMain, destroyed = false) {
  return {
    isDestroyed: () => destroyed,
    webContents: { mainFrame: top },
  } as unknown as BrowserWindow;
}

function invoke(channel: string, senderFrame: WebFrameMain | null, ...args: unknown[]) {
  const handler = handlers.get(channel);
  if (!handler) throw new Error(`no handler for ${channel}`);
  return handler({ senderFrame } as IpcMainInvokeEvent, ...args);
}

function fakeService() {
  const service = {} as Record<string, ReturnType<typeof vi.fn>>;
  for (const method of Object.keys(INVOKE_CHANNELS)) {
    service[method] = vi.fn(async (...args: unknown[]) => ({ ok: true, value: { method, args } }));
  }
  return service as unknown as AdminService & Record<string, ReturnType<typeof vi.fn>>;
}

describe('registerIpcHandlers()', () => {
  const top = frame(7, 1);
  let service: ReturnType<typeof fakeService>;
  let refused: ReturnType<typeof vi.fn<(channel: string, url: string | undefined) => void>>;
  let unregister: () => void;

  beforeEach(() => {
    handlers.clear();
    service = fakeService();
    refused = vi.fn();
    unregister = registerIpcHandlers(ipcMain, () => windowWithTopFrame(top), service, refused);
  });

  it('registers one handler per bridge function and nothing else', () => {
    expect([...handlers.keys()].sort()).toEqual(Object.values(INVOKE_CHANNELS).sort());
    expect(handlers.has(IPC.productsUploadProgress)).toBe(false);
  });

  it('serves a call from the top frame of the app window', async () => {
    await expect(invoke(IPC.productsList, frame(7, 1), 'vase')).resolves.toEqual({
      ok: true,
      value: { method: 'productsList', args: ['vase'] },
    });
    expect(service.productsList).toHaveBeenCalledWith('vase');
  });

  it('refuses a call from a subframe of the app window', async () => {
    await expect(invoke(IPC.settingsGet, frame(7, 2))).rejects.toThrow(
      /did not come from the Vitrine window/,
    );
    expect(service.settingsGet).not.toHaveBeenCalled();
    expect(refused).toHaveBeenCalledWith(IPC.settingsGet, 'app://vitrine/index.html');
  });

  it('refuses a call from a frame in another renderer process', async () => {
    await expect(invoke(IPC.ordersRefund, frame(8, 1), 'ord_1')).rejects.toThrow(
      /Refused orders:refund/,
    );
    expect(service.ordersRefund).not.toHaveBeenCalled();
  });

  it('refuses a call when the top frame shows a page that is not the app', async () => {
    const foreign = frame(7, 1, 'https://evil.example/');
    handlers.clear();
    registerIpcHandlers(ipcMain, () => windowWithTopFrame(foreign), service);
    await expect(
      invoke(IPC.settingsSave, foreign, { serverUrl: 'x', token: 'y' }),
    ).rejects.toThrow();
    expect(service.settingsSave).not.toHaveBeenCalled();
  });

  it('refuses a call whose sender frame is gone', async () => {
    await expect(invoke(IPC.productsDelete, null, 'p_1')).rejects.toThrow();
    expect(service.productsDelete).not.toHaveBeenCalled();
  });

  it('removes its handlers when asked', () => {
    unregister();
    expect(handlers.size).toBe(0);
  });
});

describe('isTrustedSender()', () => {
  it('refuses every sender once the window is destroyed', () => {
    const top = frame(3, 1);
    expect(isTrustedSender(top, windowWithTopFrame(top))).toBe(true);
    expect(isTrustedSender(top, windowWithTopFrame(top, true))).toBe(false);
  });

  it('refuses every sender when there is no window', () => {
    expect(isTrustedSender(frame(3, 1), null)).toBe(false);
  });

  it('refuses the app origin on another host', () => {
    const top = frame(3, 1, 'app://other/index.html');
    expect(isTrustedSender(top, windowWithTopFrame(top))).toBe(false);
  });
});
