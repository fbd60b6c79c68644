import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { parse } from 'yaml';

/** What GET /api/v1/rollouts/{id} adds for metric analysis and gates (functions/rollouts/analysis/schema.ts). */
export interface RolloutAnalysisView {
  analysis?: { provider: { url?: string; from?: string; auth: string }; measurements: { metric: string; step: number | null; query: string; value: number | null; at: string; verdict: string; message?: string }[] } | null;
  gateCalls?: { type: string; step: number; verdict: string; status: number | null; webhook: string; message?: string }[];
  hold?: { by: string; message: string } | null;
  abort?: { measurements?: { metric: string; value: number | null; query: string }[] } | null;
}

const value = (v: number | null) => (v === null ? '-' : Number.isInteger(v) ? String(v) : v.toFixed(3));

/**
 * `rollout status`'s analysis lines: why it holds, each measurement (step, metric, value, verdict, and
 * why when it did not pass) and each gate call. Wiring it into rollout-format.ts is one call.
 */
export function formatAnalysis(r: RolloutAnalysisView, { queries = false } = {}): string[] {
  const lines: string[] = [];
  if (r.hold) lines.push(`held by ${r.hold.by}: ${r.hold.message}`);
  const ms = r.analysis?.measurements ?? [];
  if (r.analysis) lines.push(`analysis (${r.analysis.provider.from === 'bridge' ? 'queried by a bridge' : r.analysis.provider.url}): ${ms.length} measurement${ms.length === 1 ? '' : 's'}`);
  for (const m of ms) {
    lines.push(`  ${m.at}  ${m.step === null ? 'background' : `step ${m.step + 1}`}  ${m.metric} = ${value(m.value)}  ${m.verdict}${m.message && m.verdict !== 'passed' ? `: ${m.message}` : ''}`);
    if (queries) lines.push(`    ${m.query}`);
  }
  for (const g of r.gateCalls ?? []) lines.push(`gate ${g.type} (webhook ${g.webhook}) before step ${g.step + 1}: ${g.verdict}${g.status !== null ? ` (HTTP ${g.status})` : ''}${g.message && g.verdict !== 'passed' ? `: ${g.message}` : ''}`);
  for (const m of r.abort?.measurements ?? []) lines.push(`aborted on ${m.metric} = ${value(m.value)}: ${m.query}`);
  return lines;
}

/** `rollout start --analysis <file>`: the request's `analysis` object from YAML or JSON (a file holding `{analysis: …}` works too). */
export async function readAnalysisFile(cwd: string, file: string): Promise<Record<string, unknown>> {
  const doc = parse(await readFile(resolve(cwd, file), 'utf8')) as unknown;
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) throw new Error(`${file} must hold one analysis object (provider, metrics, background)`);
  const obj = doc as Record<string, unknown>;
  return (typeof obj.analysis === 'object' && obj.analysis !== null ? obj.analysis : obj) as Record<string, unknown>;
}
