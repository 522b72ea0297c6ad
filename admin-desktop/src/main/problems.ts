import type { Finding, Problem, Result } from '../common/bridge.js';

/** An Error that carries a {@link Problem}, so main code can throw and the IPC layer can answer. */
export class ProblemError extends Error {
  readonly problem: Problem;

  constructor(problem: Problem, options?: { cause?: unknown }) {
    super(`${problem.what}: ${problem.cause}`, options);
    this.name = 'ProblemError';
    this.problem = problem;
  }
}

/** Runs `work` and turns any failure into a Result the renderer can show. */
export async function toResult<T>(what: string, work: () => Promise<T>): Promise<Result<T>> {
  try {
    return { ok: true, value: await work() };
  } catch (error) {
    return { ok: false, problem: problemFrom(error, what) };
  }
}

export function problemFrom(error: unknown, what: string): Problem {
  if (error instanceof ProblemError) return error.problem;
  const message = error instanceof Error ? error.message : String(error);
  return {
    what,
    cause: `An unexpected error happened in the app: ${message}`,
    action: 'Try again. If it keeps happening, restart the app and report the message.',
    code: 'app_error',
  };
}

/** Node's network error codes that mean "nothing answered at that address". */
const UNREACHABLE = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EPIPE',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
]);

const TLS = /CERT|SSL|TLS|SELF_SIGNED|UNABLE_TO_VERIFY/;

/** The first `code` found on an error or along its `cause` chain (fetch wraps the real one). */
export function errorCode(error: unknown): string | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 5 && current; depth += 1) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

/** A failure before any HTTP answer: refused, unknown host, TLS, timeout or cancel. */
export function networkProblem(error: unknown, what: string, serverUrl: string): Problem {
  const code = errorCode(error);
  const name = (error as { name?: string })?.name;
  if (name === 'TimeoutError' || code === 'ETIMEDOUT' || code === 'UND_ERR_HEADERS_TIMEOUT') {
    return {
      what,
      cause: `The server at ${serverUrl} did not answer in time.`,
      action: 'Check that the server is running and not overloaded, then try again.',
      code: 'timeout',
    };
  }
  if (name === 'AbortError' || code === 'ABORT_ERR') {
    return {
      what,
      cause: 'The request was cancelled before the server answered.',
      action: 'Start it again when you are ready.',
      code: 'cancelled',
    };
  }
  if (code && TLS.test(code)) {
    return {
      what,
      cause: `The secure connection to ${serverUrl} failed (${code}): its certificate is not trusted.`,
      action: 'Use a certificate your system trusts, or check the address for typos.',
      code: 'tls',
    };
  }
  if (!code || UNREACHABLE.has(code) || code.startsWith('E')) {
    return {
      what,
      cause: `Cannot reach the server at ${serverUrl}; is it running?`,
      action: 'Start the server (npm start) or fix the server address in Settings, then try again.',
      code: 'unreachable',
    };
  }
  return {
    what,
    cause: `The connection to ${serverUrl} failed (${code}).`,
    action: 'Check the server address and your network, then try again.',
    code: 'network',
  };
}

interface ErrorBodyShape {
  error?: { code?: unknown; message?: unknown; hint?: unknown; details?: unknown };
}

/** Reads validator findings from `error.details.issues` (or `details` as a plain list). */
export function findingsFrom(details: unknown): Finding[] {
  const list = Array.isArray(details)
    ? details
    : Array.isArray((details as { issues?: unknown })?.issues)
      ? (details as { issues: unknown[] }).issues
      : [];
  return list.flatMap((item): Finding[] => {
    if (!item || typeof item !== 'object') return [];
    const raw = item as Record<string, unknown>;
    const message = raw.message ?? raw.msg;
    if (typeof message !== 'string') return [];
    const severity = raw.severity;
    return [
      {
        code: typeof raw.code === 'string' ? raw.code : 'FINDING',
        message,
        severity:
          typeof severity === 'string'
            ? severity
            : typeof severity === 'number'
              ? (['error', 'warning', 'info', 'hint'][severity] ?? String(severity))
              : 'error',
        pointer:
          typeof raw.pointer === 'string'
            ? raw.pointer
            : typeof raw.path === 'string'
              ? raw.path
              : undefined,
      },
    ];
  });
}

/** An HTTP answer that is not a success, told as what failed, likely cause and what to do. */
export function httpProblem(
  what: string,
  status: number,
  body: unknown,
  serverUrl: string,
): Problem {
  const error = (body as ErrorBodyShape | null)?.error;
  const code = typeof error?.code === 'string' ? error.code : undefined;
  const message = typeof error?.message === 'string' ? error.message : undefined;
  const hint = typeof error?.hint === 'string' ? error.hint : undefined;
  const base = { what, status, code: code ?? `http_${status}` };

  if (status === 401) {
    return {
      ...base,
      cause: 'The server refused the admin token: it is wrong or was changed.',
      action:
        'Open Settings and enter the token from ADMIN_TOKEN, or from DATA_DIR/secrets.json on the server.',
    };
  }
  if (status === 422 && code === 'invalid_model') {
    const findings = findingsFrom(error?.details);
    return {
      ...base,
      cause: message ?? 'The server refused the model file.',
      action: findings.length
        ? 'Fix the findings below in your 3D tool, export the GLB again and upload it.'
        : 'Export the GLB again from your 3D tool and upload it.',
      findings,
    };
  }
  if (status === 413) {
    return {
      ...base,
      cause: message ?? 'The file is larger than the server accepts.',
      action: 'Make the file smaller, or raise MAX_UPLOAD_BYTES on the server.',
    };
  }
  if (status === 404) {
    // The server's answer for an unknown route reads "There is no GET /api/… on this server.".
    const missingRoute = !code || /^There is no [A-Z]+ \S+ on this server/.test(message ?? '');
    if (missingRoute) {
      return {
        ...base,
        cause: `The server at ${serverUrl} does not offer this endpoint.`,
        action: 'Update the server to the same Vitrine version as this app, or check the address.',
      };
    }
    return {
      ...base,
      cause: message ?? 'The server does not know this item; it may have been deleted.',
      action: 'Refresh the list and try again.',
    };
  }
  if (status >= 500) {
    return {
      ...base,
      cause: message ?? `The server answered ${status}.`,
      action: hint ?? 'Look at the server log for the cause, then try again.',
    };
  }
  if (message) {
    return {
      ...base,
      cause: message,
      action: hint ?? 'Correct the input and try again.',
      findings: code === 'invalid_request' ? findingsFrom(error?.details) : undefined,
    };
  }
  return {
    ...base,
    cause: `The server at ${serverUrl} answered ${status} without an explanation; it may not be a Vitrine server.`,
    action: 'Check the server address in Settings.',
  };
}
