import type { CheckoutRequest, CheckoutResponse, ErrorBody, OrderView } from '@vitrine/shared';

/**
 * The one client the islands use to talk to the server. Same origin by default; a site served
 * from a CDN sets PUBLIC_API_BASE at build time to the server's URL.
 */
const API_BASE = (import.meta.env.PUBLIC_API_BASE ?? '').replace(/\/+$/, '');

/** An error answer from the API, or a network failure (`code: 'network_error'`, status 0). */
export class ApiError extends Error {
  readonly code: string;
  readonly status: number;
  readonly hint?: string;
  readonly details?: unknown;

  constructor(
    code: string,
    status: number,
    message: string,
    extra: { hint?: string; details?: unknown } = {},
  ) {
    super(message);
    this.name = 'ApiError';
    this.code = code;
    this.status = status;
    this.hint = extra.hint;
    this.details = extra.details;
  }
}

export function apiUrl(pathname: string): string {
  return `${API_BASE}${pathname}`;
}

async function request<T>(pathname: string, init: RequestInit = {}): Promise<T> {
  let res: Response;
  try {
    res = await fetch(apiUrl(pathname), {
      ...init,
      headers: { accept: 'application/json', ...init.headers },
    });
  } catch (error) {
    if ((error as Error).name === 'AbortError') throw error;
    throw new ApiError(
      'network_error',
      0,
      'The store could not be reached. Check your connection and try again.',
    );
  }
  const body = (await res.json().catch(() => null)) as unknown;
  if (!res.ok) {
    const error = (body as ErrorBody | null)?.error;
    throw new ApiError(
      error?.code ?? 'internal_error',
      res.status,
      error?.message ?? `The store answered ${res.status}. Try again in a moment.`,
      { hint: error?.hint, details: error?.details },
    );
  }
  return body as T;
}

/** POST /api/checkout: prices the cart on the server and opens a payment for it. */
export function createCheckout(
  body: CheckoutRequest,
  signal?: AbortSignal,
): Promise<CheckoutResponse> {
  return request<CheckoutResponse>('/api/checkout', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
    signal,
  });
}

/** What `GET /api/checkout` says about payments on this server right now. */
export interface CheckoutConfig {
  enabled: boolean;
  publishableKey: string | null;
  currency: string;
}

/** GET /api/checkout: whether the server can take payments, and with which publishable key. */
export function getCheckoutConfig(signal?: AbortSignal): Promise<CheckoutConfig> {
  return request<CheckoutConfig>('/api/checkout', { signal });
}

/** POST /api/orders/lookup: the server emails the links to this address's orders, if any. */
export function requestOrderLinks(email: string): Promise<{ ok: true }> {
  return request<{ ok: true }>('/api/orders/lookup', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email }),
  });
}

/** GET /api/orders/:orderId with the order key that only this shopper holds. */
export function getOrder(
  orderId: string,
  orderKey: string,
  signal?: AbortSignal,
): Promise<OrderView> {
  return request<OrderView>(`/api/orders/${encodeURIComponent(orderId)}`, {
    headers: { authorization: `Bearer ${orderKey}` },
    signal,
  });
}
