/**
 * The Prometheus text exposition format (version 0.0.4), written by hand: prom-client needs Node's
 * process, perf_hooks and cluster modules and keeps registries in module state, neither of which
 * fits a Worker that computes every value from D1 per scrape. The rules kept here: one HELP and TYPE
 * line per family before its samples, label values escaped (\\, ", newline), HELP text escaped
 * (\\, newline), numbers as Go's strconv prints them (+Inf, -Inf, NaN), a final newline.
 */

export type Labels = Record<string, string>;

export interface Family {
  name: string;
  help: string;
  type: 'gauge' | 'counter';
  samples: { labels?: Labels; value: number }[];
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

const escapeHelp = (s: string) => s.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
const escapeValue = (s: string) => s.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');

function number(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  return String(v);
}

function labelText(labels: Labels | undefined): string {
  const entries = Object.entries(labels ?? {});
  if (!entries.length) return '';
  for (const [k] of entries) if (!LABEL.test(k) || k.startsWith('__')) throw new Error(`invalid label name ${k}`);
  return `{${entries.map(([k, v]) => `${k}="${escapeValue(v)}"`).join(',')}}`;
}

/** The families as one exposition body (content type `text/plain; version=0.0.4`). */
export function exposition(families: Family[]): string {
  const lines: string[] = [];
  for (const f of families) {
    if (!NAME.test(f.name)) throw new Error(`invalid metric name ${f.name}`);
    lines.push(`# HELP ${f.name} ${escapeHelp(f.help)}`, `# TYPE ${f.name} ${f.type}`);
    for (const s of f.samples) lines.push(`${f.name}${labelText(s.labels)} ${number(s.value)}`);
  }
  return `${lines.join('\n')}\n`;
}

export const EXPOSITION_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';
