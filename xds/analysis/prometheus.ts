/**
 * One instant query against a Prometheus-compatible HTTP API (`GET /api/v1/query`). Pure: the fetch
 * is passed in, so the Worker, a Node test and a test double all run the same code. The answer is
 * plain JSON (`{status, data: {resultType, result}}`), read here without a client library.
 */
export interface QueryTarget {
  url: string;
  /** The Authorization header value, if any. */
  authorization?: string;
  timeoutMs: number;
}

/** A value, or why there is none (no data, NaN, an error): the caller calls that inconclusive. */
export type QueryResult = { value: number } | { value: null; message: string };

const MAX_MESSAGE = 300;
const clip = (s: string) => (s.length > MAX_MESSAGE ? `${s.slice(0, MAX_MESSAGE - 1)}…` : s);

export function queryUrl(base: string, query: string, atMs: number): string {
  const url = new URL(`${base.replace(/\/+$/, '')}/api/v1/query`);
  url.searchParams.set('query', query);
  url.searchParams.set('time', (atMs / 1000).toFixed(3));
  return url.toString();
}

type Sample = [number, string];
interface PromAnswer {
  status?: string;
  errorType?: string;
  error?: string;
  data?: { resultType?: string; result?: unknown };
}

/** The one number an answer holds; a query must reduce to one series (sum, avg…) so the verdict is about the candidate as a whole. */
export function readAnswer(answer: PromAnswer): QueryResult {
  if (answer.status !== 'success') return { value: null, message: clip(`Prometheus refused the query: ${answer.errorType ?? 'error'}: ${answer.error ?? 'no reason given'}`) };
  const { resultType, result } = answer.data ?? {};
  let sample: Sample | undefined;
  if (resultType === 'scalar') sample = result as Sample;
  else if (resultType === 'vector') {
    const series = result as { value: Sample }[];
    if (!series.length) return { value: null, message: 'no data: the query returned no series (no traffic yet, or labels that match nothing)' };
    if (series.length > 1) return { value: null, message: `the query returned ${series.length} series; it must reduce to one (sum, avg, max…)` };
    sample = series[0]!.value;
  } else return { value: null, message: `the query returned a ${resultType ?? 'malformed'} result; an instant vector or scalar is needed` };
  const value = Number(sample?.[1]);
  if (!Number.isFinite(value)) return { value: null, message: `the value is ${sample?.[1]} (e.g. 0/0: no requests in the window)` };
  return { value };
}

export async function queryPrometheus(fetcher: typeof fetch, target: QueryTarget, query: string, atMs: number): Promise<QueryResult> {
  let res: Response;
  try {
    res = await fetcher(queryUrl(target.url, query, atMs), {
      headers: { accept: 'application/json', ...(target.authorization ? { authorization: target.authorization } : {}) },
      redirect: 'manual',
      signal: AbortSignal.timeout(target.timeoutMs),
    });
  } catch (err) {
    const e = err as Error;
    const timedOut = e.name === 'TimeoutError' || e.name === 'AbortError';
    return { value: null, message: clip(timedOut ? `Prometheus did not answer within ${target.timeoutMs / 1000} s` : `Prometheus unreachable: ${e.message}`) };
  }
  const text = await res.text().catch(() => '');
  let answer: PromAnswer | undefined;
  try {
    answer = JSON.parse(text) as PromAnswer;
  } catch {
    // Not Prometheus's JSON (a proxy's error page, a login redirect): the status says enough; the body is not echoed.
  }
  // Prometheus answers a bad query 400 with its JSON error, which says what is wrong.
  if (answer && typeof answer === 'object' && answer.status) return readAnswer(answer);
  const hint = res.status === 401 || res.status === 403 ? ' (check the provider credentials)' : res.status >= 300 && res.status < 400 ? ' (redirects are not followed)' : '';
  return { value: null, message: `Prometheus answered HTTP ${res.status}${hint}, not its JSON API` };
}
