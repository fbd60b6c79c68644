import { inArray } from 'drizzle-orm';
import type { FieldError } from '../../../xds';
import { webhooks } from '../../domain/db/schema';
import type { Database } from '../../domain/db/store';
import type { RolloutRequest } from '../schema';
import { queryOf } from './measure';
import { checkPlaceholders, syntaxProblem, TEMPLATES } from './templates';

/** The analysis's queries, checked before anything is stored: placeholders known, ports there when a cluster name needs them, brackets balanced. */
export function checkAnalysis(req: RolloutRequest): FieldError[] {
  const errors: FieldError[] = [];
  const lists = [['metrics', req.analysis?.metrics ?? []], ['background', req.analysis?.background ?? []]] as const;
  for (const [list, metrics] of lists) {
    metrics.forEach((m, i) => {
      const path = `analysis.${list}[${i}].${m.template ? 'template' : 'query'}`;
      const raw = m.query ?? TEMPLATES[m.template!].query;
      const { unknown, needsPort } = checkPlaceholders(raw);
      if (unknown.length) return void errors.push({ path, message: `unknown placeholder${unknown.length > 1 ? 's' : ''} ${unknown.map((u) => `{{${u}}}`).join(', ')}; known: {{candidate.cluster}}, {{candidate.host}}, {{candidate.subset}}, {{candidate.port}}, the same for stable, {{interval}}, {{clusterLabel}}` });
      for (const who of needsPort) {
        if (!req[who].port?.number) errors.push({ path: `${who}.port`, message: `analysis.${list}[${i}] names the ${who}'s cluster (outbound|<port>|<subset>|<host>): give the ${who} destination's port.number` });
      }
      const problem = syntaxProblem(queryOf(req, m));
      if (problem) errors.push({ path, message: `not a valid PromQL query: ${problem}` });
    });
  }
  return errors;
}

/** Gates naming webhooks that are not registered (a 409: the request does not match the current config). */
export async function unknownGateWebhooks(db: Database, req: RolloutRequest): Promise<FieldError[]> {
  const gates = req.gates ?? [];
  if (!gates.length) return [];
  const rows = await db.select({ name: webhooks.name }).from(webhooks).where(inArray(webhooks.name, [...new Set(gates.map((g) => g.webhook))]));
  const known = new Set(rows.map((r) => r.name));
  return gates.flatMap((g, i) => (known.has(g.webhook) ? [] : [{ path: `gates[${i}].webhook`, message: `no webhook named ${g.webhook}: PUT /api/v1/webhooks/${g.webhook} first` }]));
}
