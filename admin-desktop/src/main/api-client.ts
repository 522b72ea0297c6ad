import { httpProblem, networkProblem, ProblemError } from './problems.js';

export interface AdminClientOptions {
  serverUrl: string;
  /** The admin bearer token; omitted for the unauthenticated health check. */
  token?: string;
  /** Per-request deadline; the whole request, headers and body, must finish within it. */
  timeoutMs?: number;
  fetch?: typeof fetch;
}

export interface RequestOptions {
  /** What the owner was doing, for the first line of a problem ("Saving the product"). */
  what: string;
  json?: unknown;
  body?: Uint8Array;
  contentType?: string;
  timeoutMs?: number;
  signal?: AbortSignal;
}

export const DEFAULT_TIMEOUT_MS = 15_000;

/**
 * The main process's HTTP client for the admin API. It adds the token, enforces a deadline and
 * turns every failure into a {@link ProblemError}. The token never leaves this process.
 */
export class AdminClient {
  readonly serverUrl: string;
  readonly #token: string | undefined;
  readonly #timeoutMs: number;
  readonly #fetch: typeof fetch;

  constructor(options: AdminClientOptions) {
    this.serverUrl = options.serverUrl.replace(/\/+$/, '');
    this.#token = options.token;
    this.#timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.#fetch = options.fetch ?? fetch;
  }

  /** Sends one request and returns the parsed JSON body (undefined for 204). */
  async request<T>(method: string, pathname: string, options: RequestOptions): Promise<T> {
    const response = await this.send(method, pathname, options);
    const body = await this.#readJson(response, options.what);
    if (!response.ok) {
      throw new ProblemError(httpProblem(options.what, response.status, body, this.serverUrl));
    }
    return body as T;
  }

  /** Like {@link request} but returns the raw bytes of a successful answer. */
  async bytes(
    pathname: string,
    options: RequestOptions & { maxBytes: number },
  ): Promise<Uint8Array> {
    const response = await this.send('GET', pathname, options);
    if (!response.ok) {
      const body = await this.#readJson(response, options.what).catch(() => null);
      throw new ProblemError(httpProblem(options.what, response.status, body, this.serverUrl));
    }
    const declared = Number(response.headers.get('content-length') ?? '0');
    if (declared > options.maxBytes) {
      await response.body?.cancel();
      throw new ProblemError({
        what: options.what,
        cause: `The file is ${declared} bytes; the app shows previews up to ${options.maxBytes} bytes.`,
        action: 'Upload a lighter model, or let the server derive a smaller preview.',
        code: 'too_large',
      });
    }
    try {
      return new Uint8Array(await response.arrayBuffer());
    } catch (error) {
      throw new ProblemError(networkProblem(error, options.what, this.serverUrl), { cause: error });
    }
  }

  async send(method: string, pathname: string, options: RequestOptions): Promise<Response> {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (this.#token) headers.authorization = `Bearer ${this.#token}`;
    let body: string | Uint8Array<ArrayBuffer> | undefined;
    if (options.json !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(options.json);
    } else if (options.body) {
      headers['content-type'] = options.contentType ?? 'application/octet-stream';
      body = options.body as Uint8Array<ArrayBuffer>;
    }
    const deadline = AbortSignal.timeout(options.timeoutMs ?? this.#timeoutMs);
    const signal = options.signal ? AbortSignal.any([deadline, options.signal]) : deadline;
    let response: Response;
    try {
      // Redirects are not followed: the token goes only to the address the owner entered.
      response = await this.#fetch(this.serverUrl + pathname, {
        method,
        headers,
        body,
        signal,
        redirect: 'manual',
      });
    } catch (error) {
      throw new ProblemError(networkProblem(error, options.what, this.serverUrl), { cause: error });
    }
    if (response.status >= 300 && response.status < 400) {
      await response.body?.cancel();
      const location = response.headers.get('location') ?? 'another address';
      throw new ProblemError({
        what: options.what,
        cause: `The server at ${this.serverUrl} redirects to ${location}.`,
        action: 'Enter the final address (often the https:// one) in Settings.',
        code: 'redirect',
        status: response.status,
      });
    }
    return response;
  }

  async #readJson(response: Response, what: string): Promise<unknown> {
    if (response.status === 204) return undefined;
    let text: string;
    try {
      text = await response.text();
    } catch (error) {
      throw new ProblemError(networkProblem(error, what, this.serverUrl), { cause: error });
    }
    if (text === '') return undefined;
    try {
      return JSON.parse(text) as unknown;
    } catch {
      if (!response.ok) return null;
      throw new ProblemError({
        what,
        cause: `The server at ${this.serverUrl} answered with something that is not JSON; it may not be a Vitrine server.`,
        action:
          'Check the server address in Settings: it should be the address of the Vitrine server.',
        code: 'not_vitrine',
        status: response.status,
      });
    }
  }
}
