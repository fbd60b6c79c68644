import type { Destination } from '../../../xds';

/**
 * Ready-made queries for the two questions everyone asks of a candidate, from Envoy's cluster stats
 * and from gRPC's per-attempt metrics (gRFC A66), with the names this project renders
 * (`outbound|port|subset|host`). Placeholders are explicit and few: an unknown one is a 400 at create.
 *
 * Envoy: `cluster.<name>.upstream_rq_5xx` and friends, exported as `envoy_cluster_upstream_rq_xx`
 * with `envoy_response_code_class` and the cluster in `{{clusterLabel}}`: `envoy_cluster_name` with
 * Envoy's default tags, `cluster_name` with Istio's bootstrap (its stats_tags regex keeps the dots of
 * `...svc.cluster.local` in the name). `upstream_rq_time` is in milliseconds.
 * gRPC: `grpc.client.attempt.duration` (seconds) by `grpc.status`; the cluster is the optional per-call
 * label `grpc.lb.backend_service` (gRFC A89), which the client's OpenTelemetry plugin must enable.
 */
export const TEMPLATES = {
  'envoy-success-rate': {
    description: "Percent of the candidate cluster's upstream requests not answered 5xx",
    query:
      'sum(rate(envoy_cluster_upstream_rq_xx{{{clusterLabel}}="{{candidate.cluster}}",envoy_response_code_class!="5"}[{{interval}}])) / sum(rate(envoy_cluster_upstream_rq_xx{{{clusterLabel}}="{{candidate.cluster}}"}[{{interval}}])) * 100',
  },
  'envoy-latency-p99': {
    description: "p99 of the candidate cluster's upstream request time, in milliseconds",
    query: 'histogram_quantile(0.99, sum by (le) (rate(envoy_cluster_upstream_rq_time_bucket{{{clusterLabel}}="{{candidate.cluster}}"}[{{interval}}])))',
  },
  'grpc-success-rate': {
    description: 'Percent of gRPC client attempts to the candidate cluster that ended OK',
    query:
      'sum(rate(grpc_client_attempt_duration_seconds_count{grpc_lb_backend_service="{{candidate.cluster}}",grpc_status="OK"}[{{interval}}])) / sum(rate(grpc_client_attempt_duration_seconds_count{grpc_lb_backend_service="{{candidate.cluster}}"}[{{interval}}])) * 100',
  },
  'grpc-latency-p99': {
    description: 'p99 of gRPC client attempt duration to the candidate cluster, in milliseconds',
    query: 'histogram_quantile(0.99, sum by (le) (rate(grpc_client_attempt_duration_seconds_bucket{grpc_lb_backend_service="{{candidate.cluster}}"}[{{interval}}]))) * 1000',
  },
} as const;
export type TemplateName = keyof typeof TEMPLATES;
export const TEMPLATE_NAMES = Object.keys(TEMPLATES) as [TemplateName, ...TemplateName[]];

/** What a query's placeholders stand for. */
export interface TemplateContext {
  stable: Destination;
  candidate: Destination;
  /** The metric's interval as a PromQL duration, e.g. `60s`. */
  interval: string;
  clusterLabel: string;
}

const PLACEHOLDER = /\{\{\s*([A-Za-z][\w.]*)\s*\}\}/g;
// `{{{clusterLabel}}` is a PromQL brace followed by a placeholder: the first brace is not ours.
const PLACEHOLDERS = ['stable.host', 'stable.subset', 'stable.port', 'stable.cluster', 'candidate.host', 'candidate.subset', 'candidate.port', 'candidate.cluster', 'interval', 'clusterLabel'] as const;

/** Envoy's name for a destination's cluster, as the translator renders it; needs the port. */
export const clusterName = (d: Destination) => `outbound|${d.port?.number ?? ''}|${d.subset ?? ''}|${d.host}`;

/** Escapes a value put inside a PromQL double-quoted string. */
const quoted = (s: string) => s.replace(/\\/g, '\\\\').replace(/"/g, '\\"');

function valueOf(name: string, ctx: TemplateContext): string {
  if (name === 'interval') return ctx.interval;
  if (name === 'clusterLabel') return ctx.clusterLabel;
  const [who, field] = name.split('.') as ['stable' | 'candidate', string];
  const d = ctx[who];
  if (field === 'cluster') return quoted(clusterName(d));
  if (field === 'port') return String(d.port?.number ?? '');
  return quoted(String(d[field as 'host' | 'subset'] ?? ''));
}

/** The placeholders a query names that are not known, and those it needs a destination's port for. */
export function checkPlaceholders(query: string): { unknown: string[]; needsPort: ('stable' | 'candidate')[] } {
  const names = [...query.matchAll(PLACEHOLDER)].map((m) => m[1]!);
  const unknown = names.filter((n) => !(PLACEHOLDERS as readonly string[]).includes(n));
  const needsPort = (['stable', 'candidate'] as const).filter((w) => names.includes(`${w}.cluster`) || names.includes(`${w}.port`));
  return { unknown: [...new Set(unknown)], needsPort };
}

export const renderQuery = (query: string, ctx: TemplateContext) => query.replace(PLACEHOLDER, (_, name: string) => valueOf(name, ctx));

/**
 * A cheap syntax check before anything is stored: brackets balance and strings close. Prometheus
 * parses the query for real at the first measurement (a parse error is an inconclusive measurement
 * that names it), but a typo caught at create is a 400 naming the field.
 */
export function syntaxProblem(query: string): string | undefined {
  const stack: string[] = [];
  const pairs: Record<string, string> = { ')': '(', ']': '[', '}': '{' };
  for (let i = 0; i < query.length; i++) {
    const ch = query[i]!;
    if (ch === '"' || ch === "'" || ch === '`') {
      const end = ch === '`' ? query.indexOf('`', i + 1) : findQuoteEnd(query, i, ch);
      if (end < 0) return `the string opened at character ${i + 1} is not closed`;
      i = end;
    } else if (ch === '(' || ch === '[' || ch === '{') stack.push(ch);
    else if (ch in pairs) {
      if (stack.pop() !== pairs[ch]) return `"${ch}" at character ${i + 1} closes nothing open`;
    }
  }
  return stack.length ? `"${stack.at(-1)}" is not closed` : undefined;
}

function findQuoteEnd(s: string, start: number, quote: string): number {
  for (let i = start + 1; i < s.length; i++) {
    if (s[i] === '\\') i++;
    else if (s[i] === quote) return i;
  }
  return -1;
}
