/**
 * The edge's API as the console calls it: same origin, the pasted token as a Bearer header (never in a
 * URL), kept in sessionStorage so it lives as long as the tab and is not shared with other tabs.
 */

const TOKEN_KEY = 'xdsflare.token';

export const token = {
  get: (): string | null => sessionStorage.getItem(TOKEN_KEY),
  set: (value: string) => sessionStorage.setItem(TOKEN_KEY, value),
  clear: () => sessionStorage.removeItem(TOKEN_KEY),
};

/** A non-2xx answer, with the problem document's detail (RFC 9457) when there is one. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly problem?: { title?: string; detail?: string; errors?: { path: string; message: string }[] },
  ) {
    super(message);
  }
}

type Listener = (message: string) => void;
const onUnauthorizedListeners = new Set<Listener>();

/** Called when the edge refuses the token (401): the shell asks for another one. */
export function onUnauthorized(listener: Listener): () => void {
  onUnauthorizedListeners.add(listener);
  return () => onUnauthorizedListeners.delete(listener);
}

export async function api<T>(path: string, options: { method?: string; body?: unknown } = {}): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json', authorization: `Bearer ${token.get() ?? ''}` };
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(`/api/v1${path}`, { method: options.method ?? 'GET', headers, body: options.body === undefined ? undefined : JSON.stringify(options.body) });
  const text = await res.text();
  const json = text ? (JSON.parse(text) as unknown) : undefined;
  if (!res.ok) {
    const problem = json as ApiError['problem'];
    const err = new ApiError(res.status, problem?.detail ?? problem?.title ?? `${res.status} ${res.statusText}`, problem);
    if (res.status === 401) for (const listener of onUnauthorizedListeners) listener(err.message);
    throw err;
  }
  return json as T;
}

export const errorText = (err: unknown): string => (err instanceof ApiError ? `${err.status}: ${err.message}` : err instanceof Error ? err.message : String(err));
