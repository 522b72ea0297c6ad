import { IPC, type IpcChannel } from '@vitrine/shared';
import type { VitrineBridge } from './bridge.js';

/** The bridge functions that are plain request/answer calls over `ipcRenderer.invoke`. */
export type InvokeMethod = Exclude<keyof VitrineBridge, 'pathForFile' | 'onUploadProgress'>;

/**
 * Which IPC channel each bridge function uses. Main registers one handler per entry and the
 * preload exposes one function per entry; nothing else crosses, so the renderer cannot name an
 * arbitrary channel.
 */
export const INVOKE_CHANNELS: Readonly<Record<InvokeMethod, IpcChannel>> = Object.freeze({
  settingsGet: IPC.settingsGet,
  settingsSave: IPC.settingsSave,
  settingsForget: IPC.settingsForget,
  serverStatus: IPC.serverStatus,
  productsList: IPC.productsList,
  productsGet: IPC.productsGet,
  productsCreate: IPC.productsCreate,
  productsUpdate: IPC.productsUpdate,
  productsDelete: IPC.productsDelete,
  productsUploadModel: IPC.productsUploadModel,
  productsUploadCancel: IPC.productsUploadCancel,
  productsUploadPoster: IPC.productsUploadPoster,
  modelsFetchPreview: IPC.modelsFetchPreview,
  publishStart: IPC.publishStart,
  publishStatus: IPC.publishStatus,
  ordersList: IPC.ordersList,
  ordersGet: IPC.ordersGet,
  ordersRefund: IPC.ordersRefund,
  shipmentsUpdate: IPC.shipmentsUpdate,
  grantsRevoke: IPC.grantsRevoke,
  grantsExtend: IPC.grantsExtend,
  linksOpen: IPC.linksOpen,
});

/** Main → renderer events. */
export const EVENT_CHANNELS = Object.freeze({ uploadProgress: IPC.productsUploadProgress });
