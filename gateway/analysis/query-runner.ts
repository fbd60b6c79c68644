import { queryPrometheus } from '../../xds/analysis/prometheus';
import { BridgeQueriesSchema, type BridgeQueryResult } from '../../xds/bridge-sync/analysis-queries';

export interface QueryRunnerOptions {
  edgeUrl: string;
  token: string;
  bridgeId: string;
  /** The Prometheus-compatible API this bridge reaches (inside the cluster). */
  prometheusUrl: string;
  /** How often the edge is asked for due queries. */
  pollMs: number;
  requestTimeoutMs?: number;
  fetch?: typeof fetch;
  log?: (level: 'debug' | 'info' | 'warn' | 'error', msg: string, fields?: Record<string, unknown>) => void;
}

/**
 * Rollout analysis for a Prometheus only the cluster reaches (providers with `from: bridge`): asks
 * the edge which queries are due, runs each against this bridge's Prometheus and reports the values
 * back (xds/bridge-sync/analysis-queries.ts), so the edge never needs a path into the cluster.
 */
export class AnalysisQueryRunner {
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;
  /** Answered ids, so a slow edge does not get a query run twice; the edge forgets an id once answered. */
  private answered = new Set<string>();

  constructor(private readonly o: QueryRunnerOptions) {}

  start(): void {
    this.timer = setInterval(() => void this.pollOnce(), this.o.pollMs);
    this.timer.unref?.();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }

  /** One round: fetch the due queries, run them, report. Errors are logged; the next round tries again. */
  pollOnce(): Promise<void> {
    this.running ??= this.round()
      .catch((err) => this.o.log?.('warn', 'analysis queries: edge unreachable', { error: String((err as Error)?.message ?? err) }))
      .finally(() => (this.running = undefined));
    return this.running;
  }

  private async round(): Promise<void> {
    const f = this.o.fetch ?? fetch;
    const headers = { authorization: `Bearer ${this.o.token}` };
    const timeout = () => AbortSignal.timeout(this.o.requestTimeoutMs ?? 10_000);
    const res = await f(`${this.o.edgeUrl}/api/v1/rollouts/bridge-queries`, { headers, signal: timeout() });
    if (!res.ok) throw new Error(`GET /api/v1/rollouts/bridge-queries: HTTP ${res.status}`);
    const { queries } = BridgeQueriesSchema.parse(await res.json());
    const due = queries.filter((q) => !this.answered.has(q.id));
    const live = new Set(queries.map((q) => q.id));
    for (const id of this.answered) if (!live.has(id)) this.answered.delete(id);
    if (!due.length) return;
    const results: BridgeQueryResult[] = await Promise.all(
      due.map(async (q) => {
        const r = await queryPrometheus(f, { url: this.o.prometheusUrl, timeoutMs: q.timeoutMs }, q.query, q.time);
        return { id: q.id, rollout: q.rollout, value: r.value, ...(r.value === null ? { message: r.message } : {}) };
      }),
    );
    const post = await f(`${this.o.edgeUrl}/api/v1/rollouts/bridge-results`, {
      method: 'POST',
      headers: { ...headers, 'content-type': 'application/json' },
      body: JSON.stringify({ bridge: this.o.bridgeId, results }),
      signal: timeout(),
    });
    if (!post.ok) throw new Error(`POST /api/v1/rollouts/bridge-results: HTTP ${post.status}`);
    for (const r of results) this.answered.add(r.id);
    this.o.log?.('debug', 'analysis queries answered', { count: results.length });
  }
}

/** XDSFLARE_PROMETHEUS_URL (and XDSFLARE_ANALYSIS_POLL_MS, default 2000): unset, the bridge runs no analysis. */
export function queryRunnerSettings(env: NodeJS.ProcessEnv): { prometheusUrl: string; pollMs: number } | undefined {
  const raw = env.XDSFLARE_PROMETHEUS_URL;
  if (!raw) return undefined;
  const url = URL.canParse(raw) ? new URL(raw) : undefined;
  if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:')) throw new Error(`XDSFLARE_PROMETHEUS_URL must be an http(s) URL, not "${raw}"`);
  const pollMs = Number(env.XDSFLARE_ANALYSIS_POLL_MS ?? 2000);
  if (!Number.isInteger(pollMs) || pollMs < 100) throw new Error(`XDSFLARE_ANALYSIS_POLL_MS must be a whole number of milliseconds, at least 100, not "${env.XDSFLARE_ANALYSIS_POLL_MS}"`);
  return { prometheusUrl: raw.replace(/\/+$/, ''), pollMs };
}
