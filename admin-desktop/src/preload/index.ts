import { contextBridge, ipcRenderer, webUtils, type IpcRendererEvent } from 'electron';
import type { UploadProgress, VitrineBridge } from '../common/bridge.js';
import { EVENT_CHANNELS, INVOKE_CHANNELS } from '../common/channels.js';

/**
 * The renderer's only door to main. One named function per capability; the renderer never
 * sees ipcRenderer, a channel name, or an event object.
 */
const call =
  (channel: string) =>
  (...args: unknown[]) =>
    ipcRenderer.invoke(channel, ...args);

const bridge: VitrineBridge = {
  settingsGet: call(INVOKE_CHANNELS.settingsGet),
  settingsSave: call(INVOKE_CHANNELS.settingsSave),
  settingsForget: call(INVOKE_CHANNELS.settingsForget),
  serverStatus: call(INVOKE_CHANNELS.serverStatus),
  productsList: call(INVOKE_CHANNELS.productsList),
  productsGet: call(INVOKE_CHANNELS.productsGet),
  productsCreate: call(INVOKE_CHANNELS.productsCreate),
  productsUpdate: call(INVOKE_CHANNELS.productsUpdate),
  productsDelete: call(INVOKE_CHANNELS.productsDelete),
  productsUploadModel: call(INVOKE_CHANNELS.productsUploadModel),
  productsUploadCancel: call(INVOKE_CHANNELS.productsUploadCancel),
  productsUploadPoster: call(INVOKE_CHANNELS.productsUploadPoster),
  modelsFetchPreview: call(INVOKE_CHANNELS.modelsFetchPreview),
  publishStart: call(INVOKE_CHANNELS.publishStart),
  publishStatus: call(INVOKE_CHANNELS.publishStatus),
  ordersList: call(INVOKE_CHANNELS.ordersList),
  ordersGet: call(INVOKE_CHANNELS.ordersGet),
  ordersRefund: call(INVOKE_CHANNELS.ordersRefund),
  shipmentsUpdate: call(INVOKE_CHANNELS.shipmentsUpdate),
  grantsRevoke: call(INVOKE_CHANNELS.grantsRevoke),
  grantsExtend: call(INVOKE_CHANNELS.grantsExtend),
  linksOpen: call(INVOKE_CHANNELS.linksOpen),
  pathForFile: (file) => webUtils.getPathForFile(file),
  onUploadProgress(listener) {
    const relay = (_event: IpcRendererEvent, progress: UploadProgress) => listener(progress);
    ipcRenderer.on(EVENT_CHANNELS.uploadProgress, relay);
    return () => {
      ipcRenderer.removeListener(EVENT_CHANNELS.uploadProgress, relay);
    };
  },
} as VitrineBridge;

contextBridge.exposeInMainWorld('vitrine', bridge);
