/**
 * IPC channel names between the desktop app's renderer and main process, `area:action`.
 * Main, preload and renderer import these, so a renamed channel breaks the build, not the app.
 */
export const IPC = {
  settingsGet: 'settings:get',
  settingsSave: 'settings:save',
  settingsForget: 'settings:forget',
  serverStatus: 'server:status',
  productsList: 'products:list',
  productsGet: 'products:get',
  productsCreate: 'products:create',
  productsUpdate: 'products:update',
  productsDelete: 'products:delete',
  productsUploadModel: 'products:upload-model',
  productsUploadProgress: 'products:upload-progress',
  productsUploadPoster: 'products:upload-poster',
  productsUploadCancel: 'products:upload-cancel',
  modelsFetchPreview: 'models:fetch-preview',
  publishStart: 'publish:start',
  publishStatus: 'publish:status',
  ordersList: 'orders:list',
  ordersGet: 'orders:get',
  ordersRefund: 'orders:refund',
  shipmentsUpdate: 'shipments:update',
  grantsRevoke: 'grants:revoke',
  grantsExtend: 'grants:extend',
  linksOpen: 'links:open',
} as const;

export type IpcChannel = (typeof IPC)[keyof typeof IPC];
