import { CliError, EXIT } from './exit-codes';
import { apiError } from './problem';

export interface ClientOptions {
  /** The edge's base URL, e.g. http://127.0.0.1:8787. */
  server: string;
  token?: string;
  /** Sent on every request (CI identifiers, user agent). */
  headers?: Record<string, string>;
  /** One key per invocation; a second write in the same invocation gets `<key>-2`, and so on. */
  idempotencyKey: string;
  /** Attempts per request for network errors and 502/503/504 (default 5). */
  attempts?: number;
  sleep?: (ms: number) => Promise<void>;
}

export interface RequestOptions {
  query?: Record<string, string | string[] | number | boolean | undefined>;
  body?: string;
  contentType?: string;
  accept?: string;
  /** Extra request headers (If-Match). */
  headers?: Record<string, string>;
  /** Maps a field path of a problem (e.g. `[3].spec.hosts`) to something the user can find. */
  describePath?: (path: string) => string;
}

export interface ApiAnswer {
  status: number;
  headers: Headers;
  /** The body exactly as received: `--output json` prints it. */
  text: string;
}

const RETRIED_STATUS = new Set([429, 502, 503, 504]);
const sleepFor = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** A small fetch wrapper: auth, CI headers, Idempotency-Key on writes, retries, problem+json → CliError. */
export class Client {
  private writes = 0;

  constructor(private readonly options: ClientOptions) {}

  get server(): string {
    return this.options.server;
  }

  url(path: string, query: RequestOptions['query'] = {}): string {
    const url = new URL(this.options.server.replace(/\/+$/, '') + path);
    for (const [k, v] of Object.entries(query)) {
      if (v === undefined || v === false) continue;
      for (const item of Array.isArray(v) ? v : [v]) url.searchParams.append(k, String(item));
    }
    return url.toString();
  }

  /** GET/POST/... and the answer; a non-2xx answer throws a CliError with its exit code. */
  async request(method: string, path: string, opts: RequestOptions = {}): Promise<ApiAnswer> {
    const headers: Record<string, string> = { accept: opts.accept ?? 'application/json', ...this.options.headers, ...opts.headers };
    if (this.options.token) headers.authorization = `Bearer ${this.options.token}`;
    if (opts.body !== undefined) headers['content-type'] = opts.contentType ?? 'application/json';
    const write = method !== 'GET' && method !== 'HEAD';
    if (write) headers['idempotency-key'] = this.writes++ ? `${this.options.idempotencyKey}-${this.writes}` : this.options.idempotencyKey;

    const url = this.url(path, opts.query);
    const attempts = this.options.attempts ?? 5;
    const sleep = this.options.sleep ?? sleepFor;
    for (let attempt = 1; ; attempt++) {
      // 0.5 s, 1 s, 2 s, 4 s, with jitter so parallel jobs do not retry in step.
      const backoff = () => sleep(Math.min(500 * 2 ** (attempt - 1), 8000) * (0.75 + Math.random() * 0.5));
      let res: Response | undefined;
      let text: string;
      try {
        // No redirects: fetch would turn a redirected POST into a GET and drop the token across origins.
        res = await fetch(url, { method, headers, redirect: 'manual', ...(opts.body !== undefined ? { body: opts.body } : {}) });
        // Inside the try: a connection that drops half-way through the body is a network error too.
        text = await res.text();
      } catch (err) {
        if (attempt < attempts) {
          await backoff();
          continue;
        }
        const cause = (err as { cause?: { code?: string; message?: string } }).cause;
        const why = cause?.code ?? cause?.message ?? (err as Error).message;
        throw new CliError(EXIT.unexpected, res ? `lost the connection to ${this.options.server} while reading the answer to ${method} ${path}: ${why}` : `cannot reach ${this.options.server}: ${why}`);
      }
      // A retried write whose first attempt is still running answers 409 with Retry-After: wait for it.
      const inProgress = write && attempt > 1 && res.status === 409 && res.headers.has('retry-after');
      if ((RETRIED_STATUS.has(res.status) || inProgress) && attempt < attempts) {
        await backoff();
        continue;
      }
      if (res.status >= 200 && res.status < 300) return { status: res.status, headers: res.headers, text };
      if (res.status >= 300 && res.status < 400) {
        throw new CliError(EXIT.unexpected, `the server redirected ${method} ${path} to ${res.headers.get('location') ?? '(nowhere)'} (${res.status}); point --server (XDSFLARE_SERVER) at the edge itself`);
      }
      // Not the input's fault (3): the first attempt may still commit, so say so and exit 1.
      if (inProgress) throw new CliError(EXIT.unexpected, `${method} ${path} is still in progress at the edge after ${attempts} attempts; it may yet commit: check before retrying (xdsflare get revisions)`);
      throw apiError(res.status, text, opts.describePath);
    }
  }

  /** request() and the body parsed as JSON. */
  async json<T = unknown>(method: string, path: string, opts: RequestOptions = {}): Promise<{ answer: ApiAnswer; body: T }> {
    const answer = await this.request(method, path, opts);
    try {
      return { answer, body: JSON.parse(answer.text) as T };
    } catch {
      throw new CliError(EXIT.unexpected, `the server's answer to ${method} ${path} is not JSON: ${answer.text.slice(0, 200)}`);
    }
  }
}
