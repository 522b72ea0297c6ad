/**
 * The contract between the renderer and the main process: what `window.vitrine` offers.
 * The preload implements it over IPC, the renderer consumes it, and the browser tests implement
 * it over the real admin HTTP API. Only types live here, so every side can import it.
 */
import type {
  ModelFacts,
  OrderDownload,
  OrderItem,
  OrderStatus,
  Product,
  ProductCreate,
  ProductUpdate,
  PublishState,
  Shipment,
  ShipmentUpdate,
} from '@vitrine/shared';

/** One finding of the model validator, as the server reports it in `error.details.issues`. */
export interface Finding {
  code: string;
  message: string;
  severity: string;
  pointer?: string;
}

/**
 * A failure told to a person: what failed, the likely cause, and what to do next. Main builds
 * these from HTTP and file-system errors; the renderer only shows them.
 */
export interface Problem {
  what: string;
  cause: string;
  action: string;
  /** The server's `error.code`, or a local word such as `unreachable` or `timeout`. */
  code?: string;
  status?: number;
  /** Validator findings when a model upload was refused. */
  findings?: Finding[];
}

/** Every bridge call resolves to a Result: errors cross IPC as data, not as thrown strings. */
export type Result<T> = { ok: true; value: T } | { ok: false; problem: Problem };

export type TokenStorage = 'encrypted' | 'session' | 'none';

export interface SettingsView {
  serverUrl: string | null;
  /** True when a server URL and a token are both known. */
  configured: boolean;
  /** Where the token lives: encrypted on disk, in memory for this session, or nowhere. */
  tokenStorage: TokenStorage;
  /** A sentence for the owner when the token cannot be kept on disk; null otherwise. */
  storageNote: string | null;
}

export interface SettingsInput {
  serverUrl: string;
  token: string;
}

export interface ServerStatus {
  reachable: boolean;
  serverUrl: string | null;
  checkedAt: string;
  problem?: Problem;
}

export interface UploadProgress {
  productId: string;
  /** Bytes handed to the network so far. */
  sent: number;
  total: number;
  done: boolean;
}

export interface ModelUploadResult {
  product: Product;
  facts: ModelFacts | null;
  /** Non-fatal validator findings (warnings, hints) when the server reports them. */
  findings: Finding[];
}

export interface DeleteOutcome {
  /** `archived` when orders still reference the product, so it was hidden, not removed. */
  outcome: 'deleted' | 'archived';
}

/** A row of `GET /api/admin/orders`. Fields beyond these are shown when present. */
export interface AdminOrderSummary {
  orderId: string;
  status: OrderStatus;
  email: string;
  total: { amount: number; currency: string };
  createdAt: string;
  fulfillmentType?: string;
  itemCount?: number;
  shipmentStatus?: string | null;
  /** Why the order needs the owner's attention (an amount mismatch, a dispute), if it does. */
  attention?: string | null;
}

export interface AdminPayment {
  id?: string;
  providerRef?: string;
  kind: string;
  status: string;
  amount: number;
  currency: string;
  createdAt?: string;
}

/** `GET /api/admin/orders/:orderId`. */
export interface AdminOrderDetail {
  orderId: string;
  status: OrderStatus;
  email: string;
  items: OrderItem[];
  total: { amount: number; currency: string };
  createdAt: string;
  paidAt?: string | null;
  fulfillmentType?: string;
  paymentIntentId?: string | null;
  attention?: string | null;
  shippingAddress?: Record<string, string | undefined> | null;
  payments: AdminPayment[];
  downloads: OrderDownload[];
  shipments: Shipment[];
}

export interface OrdersQuery {
  status?: OrderStatus | '';
  q?: string;
}

export interface GrantExtension {
  days?: number;
  downloads?: number;
}

/** The capabilities the renderer has. One function per capability, nothing generic. */
export interface VitrineBridge {
  settingsGet(): Promise<Result<SettingsView>>;
  /** Checks the URL and token against the server before keeping them. */
  settingsSave(input: SettingsInput): Promise<Result<SettingsView>>;
  settingsForget(): Promise<Result<SettingsView>>;
  serverStatus(): Promise<Result<ServerStatus>>;

  productsList(query?: string): Promise<Result<Product[]>>;
  productsGet(id: string): Promise<Result<Product>>;
  productsCreate(input: ProductCreate): Promise<Result<Product>>;
  productsUpdate(id: string, patch: ProductUpdate): Promise<Result<Product>>;
  productsDelete(id: string): Promise<Result<DeleteOutcome>>;
  /** Main streams the file at `filePath` to the server; progress arrives via onUploadProgress. */
  productsUploadModel(id: string, filePath: string): Promise<Result<ModelUploadResult>>;
  productsUploadCancel(id: string): Promise<Result<boolean>>;
  productsUploadPoster(id: string, png: Uint8Array): Promise<Result<Product>>;
  /** The bytes of the product's public preview GLB, fetched by main from the server. */
  modelsFetchPreview(id: string): Promise<Result<Uint8Array>>;

  publishStart(): Promise<Result<PublishState>>;
  publishStatus(): Promise<Result<PublishState>>;

  ordersList(query?: OrdersQuery): Promise<Result<AdminOrderSummary[]>>;
  ordersGet(orderId: string): Promise<Result<AdminOrderDetail>>;
  ordersRefund(orderId: string): Promise<Result<AdminOrderDetail>>;
  shipmentsUpdate(orderId: string, update: ShipmentUpdate): Promise<Result<AdminOrderDetail>>;
  grantsRevoke(orderId: string, grantId: string): Promise<Result<AdminOrderDetail>>;
  grantsExtend(
    orderId: string,
    grantId: string,
    extension: GrantExtension,
  ): Promise<Result<AdminOrderDetail>>;

  /** Opens an http(s) link in the system browser, after main checks it. */
  linksOpen(url: string): Promise<Result<boolean>>;
  /** The local path of a picked or dropped file (Electron's webUtils.getPathForFile). */
  pathForFile(file: File): string;
  /** Subscribes to upload progress; returns the unsubscribe function. */
  onUploadProgress(listener: (progress: UploadProgress) => void): () => void;
}
