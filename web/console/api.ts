/**
 * REST calls of the console: same-origin, the session cookie, `X-CSRF-Token` and JSON on
 * every state-changing request, errors as `ApiError` with the protocol's stable `code`.
 */

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly field?: string,
    /** Seconds, from `Retry-After` (or the body's `retry_after`). */
    readonly retryAfter?: number,
  ) {
    super(message);
  }
}

let csrfToken = '';
let onUnauthenticated: (() => void) | null = null;

export function setCsrfToken(token: string | null | undefined): void {
  csrfToken = token || '';
}

/** Called when any request (other than login) answers 401: the session is gone. */
export function setUnauthenticatedHandler(handler: (() => void) | null): void {
  onUnauthenticated = handler;
}

function csrfFromCookie(): string {
  const match = document.cookie.match(/(?:^|;\s*)helpline_csrf=([^;]*)/);
  return match ? decodeURIComponent(match[1]) : '';
}

export type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export async function api<T = any>(method: Method, path: string, body?: unknown, signal?: AbortSignal): Promise<T> {
  const headers: Record<string, string> = { Accept: 'application/json' };
  const init: RequestInit = { method, headers, credentials: 'same-origin', signal };
  if (method !== 'GET') {
    headers['X-CSRF-Token'] = csrfToken || csrfFromCookie();
    if (body instanceof FormData) {
      init.body = body; // multipart: the browser writes the Content-Type with its boundary
    } else {
      headers['Content-Type'] = 'application/json';
      init.body = JSON.stringify(body ?? {});
    }
  }
  let response: Response;
  try {
    response = await fetch(path, init);
  } catch (error) {
    throw new ApiError(0, 'network', String((error as Error)?.message || error));
  }
  if (response.status === 204) return undefined as T;
  let data: any = null;
  try {
    data = await response.json();
  } catch {
    /* not JSON: handled below */
  }
  if (!response.ok) {
    const error = data?.error || {};
    const header = Number(response.headers.get('Retry-After'));
    const retryAfter = Number.isFinite(header) && header > 0 ? header : Number(error.retry_after) || undefined;
    const failure = new ApiError(
      response.status,
      error.code || `http_${response.status}`,
      error.message || response.statusText,
      error.field || undefined,
      retryAfter,
    );
    if (response.status === 401 && failure.code === 'not_authenticated') onUnauthenticated?.();
    throw failure;
  }
  return data as T;
}

export const get = <T = any>(path: string) => api<T>('GET', path);
export const post = <T = any>(path: string, body?: unknown) => api<T>('POST', path, body);
export const patch = <T = any>(path: string, body: unknown) => api<T>('PATCH', path, body);
export const put = <T = any>(path: string, body: unknown) => api<T>('PUT', path, body);
export const del = (path: string) => api<void>('DELETE', path, {});
/** A multipart upload (`POST /api/v1/files`), with the same CSRF header and errors as the rest. */
export const upload = <T = any>(path: string, form: FormData, signal?: AbortSignal) => api<T>('POST', path, form, signal);
