import { beforeAll, describe, expect, it, vi } from 'vitest';
import { contextBridge, ipcRenderer, webUtils } from 'electron';
import { IPC } from '@vitrine/shared';
import type { VitrineBridge } from '../../src/common/bridge.js';
import { INVOKE_CHANNELS } from '../../src/common/channels.js';

vi.mock('electron', () => {
  const listeners = new Map<string, Set<(...args: unknown[]) => void>>();
  return {
    contextBridge: { exposeInMainWorld: vi.fn() },
    webUtils: { getPathForFile: vi.fn(() => '/home/owner/models/vase.glb') },
    ipcRenderer: {
      listeners,
      invoke: vi.fn(async (channel: string, ...args: unknown[]) => ({
        ok: true,
        value: { channel, args },
      })),
      on: vi.fn((channel: string, listener: (...args: unknown[]) => void) => {
        if (!listeners.has(channel)) listeners.set(channel, new Set());
        listeners.get(channel)!.add(listener);
      }),
      removeListener: vi.fn((channel: string, listener: (...args: unknown[]) => void) => {
        listeners.get(channel)?.delete(listener);
      }),
    },
  };
});

const listeners = (
  ipcRenderer as unknown as { listeners: Map<string, Set<(...args: unknown[]) => void>> }
).listeners;
let bridge: VitrineBridge;

beforeAll(async () => {
  await import('../../src/preload/index.js');
  const [name, exposed] = vi.mocked(contextBridge.exposeInMainWorld).mock.calls[0]!;
  expect(name).toBe('vitrine');
  bridge = exposed as VitrineBridge;
});

describe('preload bridge', () => {
  it('exposes exactly one function per capability and no IPC object', () => {
    const expected = [...Object.keys(INVOKE_CHANNELS), 'pathForFile', 'onUploadProgress'].sort();
    expect(Object.keys(bridge).sort()).toEqual(expected);
    for (const value of Object.values(bridge)) expect(typeof value).toBe('function');
    expect(contextBridge.exposeInMainWorld).toHaveBeenCalledTimes(1);
  });

  it.each(Object.entries(INVOKE_CHANNELS))(
    'sends %s over the %s channel',
    async (method, channel) => {
      const call = (bridge as unknown as Record<string, (...args: unknown[]) => Promise<unknown>>)[
        method
      ]!;
      await expect(call('a', 2)).resolves.toEqual({ ok: true, value: { channel, args: ['a', 2] } });
      expect(ipcRenderer.invoke).toHaveBeenLastCalledWith(channel, 'a', 2);
    },
  );

  it("gives a dropped file's path through webUtils, not File.path", () => {
    const file = { name: 'vase.glb' } as File;
    expect(bridge.pathForFile(file)).toBe('/home/owner/models/vase.glb');
    expect(webUtils.getPathForFile).toHaveBeenCalledWith(file);
  });

  it('relays upload progress without the IPC event and stops after unsubscribing', () => {
    const seen: unknown[] = [];
    const unsubscribe = bridge.onUploadProgress((progress) => seen.push(progress));
    const progress = { productId: 'p_1', sent: 10, total: 100, done: false };
    for (const listener of listeners.get(IPC.productsUploadProgress) ?? []) {
      listener({ sender: 'the IPC event must not reach the page' }, progress);
    }
    expect(seen).toEqual([progress]);

    unsubscribe();
    expect(listeners.get(IPC.productsUploadProgress)?.size).toBe(0);
  });
});
