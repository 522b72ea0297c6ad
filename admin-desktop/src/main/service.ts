import fs from 'node:fs';
import path from 'node:path';
import type { ModelFacts, Product, PublishState } from '@vitrine/shared';
import type {
  AdminOrderDetail,
  AdminOrderSummary,
  DeleteOutcome,
  Finding,
  ModelUploadResult,
  ServerStatus,
  SettingsView,
  UploadProgress,
  VitrineBridge,
} from '../common/bridge.js';
import { AdminClient } from './api-client.js';
import { isSafeExternalUrl } from './links.js';
import { findingsFrom, ProblemError, toResult } from './problems.js';
import { normaliseServerUrl, type SettingsStore } from './settings.js';
import { streamUpload } from './upload.js';

/** What the service offers: the bridge without the two renderer-only helpers. */
export type AdminService = Omit<VitrineBridge, 'pathForFile' | 'onUploadProgress'>;

export interface AdminServiceDeps {
  settings: SettingsStore;
  /** Sends upload progress to the renderer. */
  emitProgress(progress: UploadProgress): void;
  /** Opens a checked URL in the system browser (Electron's shell.openExternal). */
  openExternal(url: string): Promise<void>;
  fetch?: typeof fetch;
  /** Overrides for tests: request deadline and upload idle timeout. */
  timeoutMs?: number;
  uploadIdleTimeoutMs?: number;
}

/** Largest preview the app loads into the 3D view. */
export const MAX_PREVIEW_BYTES = 256 * 1024 * 1024;
/** Largest poster the app sends; the canvas capture of a large window is a few MB. */
export const MAX_POSTER_BYTES = 20 * 1024 * 1024;

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

/**
 * Everything the renderer may ask of main, as plain async functions that return Results.
 * Electron-free, so the IPC layer stays thin and tests (and the browser test bridge) can call
 * the same code against a real server.
 */
export function createAdminService(deps: AdminServiceDeps): AdminService {
  const { settings } = deps;
  const uploads = new Map<string, AbortController>();

  const client = (what: string): AdminClient => {
    const serverUrl = settings.serverUrl;
    const token = settings.token;
    if (!serverUrl || !token) {
      throw new ProblemError({
        what,
        cause: 'The app is not connected to a server yet.',
        action: 'Enter the server address and admin token in Settings.',
        code: 'not_configured',
      });
    }
    return new AdminClient({ serverUrl, token, timeoutMs: deps.timeoutMs, fetch: deps.fetch });
  };

  const orderDetail = async (orderId: string, what: string): Promise<AdminOrderDetail> => {
    const raw = await client(what).request<Record<string, unknown>>(
      'GET',
      `/api/admin/orders/${encodeURIComponent(orderId)}`,
      { what },
    );
    return normaliseOrderDetail(raw);
  };

  return {
    settingsGet: () =>
      toResult('Reading the settings', async (): Promise<SettingsView> => settings.view()),

    settingsSave: (input) =>
      toResult('Connecting to the server', async () => {
        const what = 'Connecting to the server';
        const serverUrl = normaliseServerUrl(String(input?.serverUrl ?? ''));
        const token = String(input?.token ?? '').trim();
        if (!token) {
          throw new ProblemError({
            what,
            cause: 'The admin token is empty.',
            action:
              'Paste the token from ADMIN_TOKEN, or from DATA_DIR/secrets.json on the server.',
            code: 'token_missing',
          });
        }
        await checkHealth(
          new AdminClient({ serverUrl, timeoutMs: 8_000, fetch: deps.fetch }),
          what,
        );
        const authed = new AdminClient({ serverUrl, token, timeoutMs: 8_000, fetch: deps.fetch });
        await authed.request('GET', '/api/admin/orders', { what: 'Checking the admin token' });
        return settings.save(serverUrl, token);
      }),

    settingsForget: () => toResult('Signing out', async () => settings.forget()),

    serverStatus: () =>
      toResult('Checking the server', async (): Promise<ServerStatus> => {
        const serverUrl = settings.serverUrl;
        const checkedAt = new Date().toISOString();
        if (!serverUrl) return { reachable: false, serverUrl, checkedAt };
        try {
          await checkHealth(
            new AdminClient({ serverUrl, timeoutMs: 5_000, fetch: deps.fetch }),
            'Checking the server',
          );
          return { reachable: true, serverUrl, checkedAt };
        } catch (error) {
          if (!(error instanceof ProblemError)) throw error;
          return { reachable: false, serverUrl, checkedAt, problem: error.problem };
        }
      }),

    productsList: (query) =>
      toResult('Loading the products', async () => {
        const what = 'Loading the products';
        const q =
          typeof query === 'string' && query.trim() ? `?q=${encodeURIComponent(query.trim())}` : '';
        const body = await client(what).request<{ products: Product[] }>(
          'GET',
          `/api/admin/products${q}`,
          { what },
        );
        return body.products;
      }),

    productsGet: (id) =>
      toResult('Loading the product', async () => {
        const what = 'Loading the product';
        return unwrapProduct(await client(what).request('GET', productPath(id), { what }));
      }),

    productsCreate: (input) =>
      toResult('Creating the product', async () => {
        const what = 'Creating the product';
        return unwrapProduct(
          await client(what).request('POST', '/api/admin/products', { what, json: input }),
        );
      }),

    productsUpdate: (id, patch) =>
      toResult('Saving the product', async () => {
        const what = 'Saving the product';
        return unwrapProduct(
          await client(what).request('PATCH', productPath(id), { what, json: patch }),
        );
      }),

    productsDelete: (id) =>
      toResult('Deleting the product', async (): Promise<DeleteOutcome> => {
        const what = 'Deleting the product';
        const body = await client(what).request<Record<string, unknown> | undefined>(
          'DELETE',
          productPath(id),
          { what },
        );
        return { outcome: deleteOutcome(body) };
      }),

    productsUploadModel: (id, filePath) =>
      toResult('Uploading the model', async (): Promise<ModelUploadResult> => {
        const what = 'Uploading the model';
        const api = client(what);
        await checkModelFile(String(filePath ?? ''), what);
        const controller = new AbortController();
        uploads.get(id)?.abort();
        uploads.set(id, controller);
        try {
          const { body } = await streamUpload({
            // The server keeps the name for the customer's download.
            url: `${api.serverUrl}${productPath(id)}/model?filename=${encodeURIComponent(path.basename(filePath))}`,
            token: settings.token ?? '',
            filePath,
            contentType: 'model/gltf-binary',
            what,
            signal: controller.signal,
            // After the last byte the server validates the whole file and derives the preview
            // before it answers; for a file of a gigabyte or more that is minutes of silence.
            idleTimeoutMs: deps.uploadIdleTimeoutMs ?? 15 * 60_000,
            onProgress: ({ sent, total }) =>
              deps.emitProgress({ productId: id, sent, total, done: sent === total }),
          });
          return modelUploadResult(body);
        } finally {
          if (uploads.get(id) === controller) uploads.delete(id);
        }
      }),

    productsUploadCancel: (id) =>
      toResult('Cancelling the upload', async () => {
        const controller = uploads.get(id);
        controller?.abort();
        return Boolean(controller);
      }),

    productsUploadPoster: (id, png) =>
      toResult('Saving the poster', async () => {
        const what = 'Saving the poster';
        const bytes = toBytes(png);
        if (!PNG_SIGNATURE.every((byte, index) => bytes[index] === byte)) {
          throw new ProblemError({
            what,
            cause: 'The captured image is not a PNG.',
            action: 'Wait until the 3D view shows the model, then save the poster again.',
            code: 'invalid_poster',
          });
        }
        if (bytes.length > MAX_POSTER_BYTES) {
          throw new ProblemError({
            what,
            cause: `The captured image is ${bytes.length} bytes, above the ${MAX_POSTER_BYTES} the app sends.`,
            action: 'Make the window smaller and save the poster again.',
            code: 'invalid_poster',
          });
        }
        const body = await client(what).request('PUT', `${productPath(id)}/poster`, {
          what,
          body: bytes,
          contentType: 'image/png',
          timeoutMs: 60_000,
        });
        return unwrapProduct(body);
      }),

    modelsFetchPreview: (id) =>
      toResult('Loading the 3D preview', async () => {
        const what = 'Loading the 3D preview';
        const api = client(what);
        const product = unwrapProduct(await api.request('GET', productPath(id), { what }));
        const pathname = previewPath(product.previewUrl, api.serverUrl);
        if (!pathname) {
          throw new ProblemError({
            what,
            cause: product.previewUrl
              ? `The preview address ${product.previewUrl} is not a file of this server.`
              : 'This product has no preview yet.',
            action: 'Upload a GLB model for it first.',
            code: 'no_preview',
          });
        }
        // Previews are public files: fetch them without the admin token.
        const files = new AdminClient({
          serverUrl: api.serverUrl,
          timeoutMs: 120_000,
          fetch: deps.fetch,
        });
        return files.bytes(pathname, { what, maxBytes: MAX_PREVIEW_BYTES });
      }),

    publishStart: () =>
      toResult('Publishing the site', async () => {
        const what = 'Publishing the site';
        return client(what).request<PublishState>('POST', '/api/admin/publish', { what, json: {} });
      }),

    publishStatus: () =>
      toResult('Reading the publish status', async () => {
        const what = 'Reading the publish status';
        return client(what).request<PublishState>('GET', '/api/admin/publish', { what });
      }),

    ordersList: (query) =>
      toResult('Loading the orders', async () => {
        const what = 'Loading the orders';
        const params = new URLSearchParams();
        if (query?.status) params.set('status', query.status);
        if (query?.q?.trim()) params.set('q', query.q.trim());
        const suffix = params.size ? `?${params}` : '';
        const body = await client(what).request<{ orders: Record<string, unknown>[] }>(
          'GET',
          `/api/admin/orders${suffix}`,
          { what },
        );
        return body.orders.map(normaliseOrderSummary);
      }),

    ordersGet: (orderId) =>
      toResult('Loading the order', () => orderDetail(orderId, 'Loading the order')),

    ordersRefund: (orderId) =>
      toResult('Refunding the order', async () => {
        const what = 'Refunding the order';
        await client(what).request(
          'POST',
          `/api/admin/orders/${encodeURIComponent(orderId)}/refund`,
          {
            what,
            json: {},
            timeoutMs: 60_000,
          },
        );
        return orderDetail(orderId, what);
      }),

    shipmentsUpdate: (orderId, update) =>
      toResult('Updating the shipment', async () => {
        const what = 'Updating the shipment';
        await client(what).request(
          'PATCH',
          `/api/admin/orders/${encodeURIComponent(orderId)}/shipment`,
          {
            what,
            json: update,
          },
        );
        return orderDetail(orderId, what);
      }),

    grantsRevoke: (orderId, grantId) =>
      toResult('Revoking the download', async () => {
        const what = 'Revoking the download';
        await client(what).request(
          'POST',
          `/api/admin/grants/${encodeURIComponent(grantId)}/revoke`,
          {
            what,
            json: {},
          },
        );
        return orderDetail(orderId, what);
      }),

    grantsExtend: (orderId, grantId, extension) =>
      toResult('Extending the download', async () => {
        const what = 'Extending the download';
        await client(what).request(
          'POST',
          `/api/admin/grants/${encodeURIComponent(grantId)}/extend`,
          {
            what,
            json: extension,
          },
        );
        return orderDetail(orderId, what);
      }),

    linksOpen: (url) =>
      toResult('Opening the link', async () => {
        if (!isSafeExternalUrl(url)) {
          throw new ProblemError({
            what: 'Opening the link',
            cause: 'The app opens only http and https links in the browser.',
            action: 'Copy the link by hand if you trust it.',
            code: 'link_refused',
          });
        }
        await deps.openExternal(url);
        return true;
      }),
  };
}

async function checkHealth(client: AdminClient, what: string): Promise<void> {
  const body = await client.request<{ status?: unknown } | undefined>('GET', '/api/health', {
    what,
  });
  if (body?.status !== 'ok') {
    throw new ProblemError({
      what,
      cause: `The server at ${client.serverUrl} answered, but not like a Vitrine server.`,
      action: 'Check the address: it is the one the server prints when it starts.',
      code: 'not_vitrine',
    });
  }
}

function productPath(id: string): string {
  return `/api/admin/products/${encodeURIComponent(id)}`;
}

/** The server may answer a product, or `{ product }`; accept both. */
function unwrapProduct(body: unknown): Product {
  const value = body as { product?: Product } & Partial<Product>;
  if (value && typeof value === 'object' && value.product && typeof value.product === 'object') {
    return value.product;
  }
  return value as Product;
}

function deleteOutcome(body: Record<string, unknown> | undefined): DeleteOutcome['outcome'] {
  if (!body) return 'deleted';
  if (body.outcome === 'archived' || body.archived === true || body.status === 'archived')
    return 'archived';
  const product = body.product as { archivedAt?: unknown } | undefined;
  if (product?.archivedAt) return 'archived';
  return 'deleted';
}

function modelUploadResult(body: unknown): ModelUploadResult {
  const value = (body ?? {}) as Record<string, unknown>;
  const product = unwrapProduct(value);
  const facts = (value.facts as ModelFacts | undefined) ?? product.model ?? null;
  const findings: Finding[] = findingsFrom(value.findings ?? value.issues ?? []);
  return { product, facts, findings };
}

/** The path of a preview under `/files/`, whatever host the server put in the URL. */
export function previewPath(
  previewUrl: string | null | undefined,
  serverUrl: string,
): string | null {
  if (!previewUrl) return null;
  let url: URL;
  try {
    url = new URL(previewUrl, serverUrl);
  } catch {
    return null;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return null;
  const pathname = url.pathname;
  if (!pathname.startsWith('/files/') || pathname.includes('..')) return null;
  return pathname;
}

/** Refuses anything but an existing regular file that starts like a GLB. */
async function checkModelFile(filePath: string, what: string): Promise<void> {
  if (!filePath || !/\.glb$/i.test(filePath)) {
    throw new ProblemError({
      what,
      cause: filePath ? `${filePath} is not a .glb file.` : 'No file was chosen.',
      action: 'Pick a binary glTF (.glb) file. Export one from your 3D tool if you have a .gltf.',
      code: 'not_glb',
    });
  }
  let handle: fs.promises.FileHandle | undefined;
  try {
    handle = await fs.promises.open(filePath, 'r');
    const stat = await handle.stat();
    const head = Buffer.alloc(4);
    if (stat.isFile()) await handle.read(head, 0, 4, 0);
    if (!stat.isFile() || head.toString('latin1') !== 'glTF') {
      throw new ProblemError({
        what,
        cause: `${filePath} does not start like a GLB file (the first bytes are not "glTF").`,
        action: 'Export the model again as binary glTF (.glb).',
        code: 'not_glb',
      });
    }
  } catch (error) {
    if (error instanceof ProblemError) throw error;
    throw new ProblemError(
      {
        what,
        cause: `${filePath} could not be opened (${(error as NodeJS.ErrnoException).code ?? 'error'}).`,
        action: 'Pick the file again, or check that it still exists.',
        code: 'file_unreadable',
      },
      { cause: error },
    );
  } finally {
    await handle?.close();
  }
}

function toBytes(value: unknown): Uint8Array {
  if (value instanceof Uint8Array) return value;
  if (value instanceof ArrayBuffer) return new Uint8Array(value);
  return new Uint8Array(0);
}

function normaliseOrderSummary(raw: Record<string, unknown>): AdminOrderSummary {
  return { ...(raw as object), orderId: String(raw.orderId ?? raw.id ?? '') } as AdminOrderSummary;
}

function normaliseOrderDetail(raw: Record<string, unknown>): AdminOrderDetail {
  const order = (raw.order && typeof raw.order === 'object' ? raw.order : raw) as Record<
    string,
    unknown
  >;
  return {
    ...(order as object),
    orderId: String(order.orderId ?? order.id ?? ''),
    items: (order.items as AdminOrderDetail['items']) ?? [],
    payments: (order.payments as AdminOrderDetail['payments']) ?? [],
    downloads: (order.downloads as AdminOrderDetail['downloads']) ?? [],
    shipments: (order.shipments as AdminOrderDetail['shipments']) ?? [],
  } as AdminOrderDetail;
}
