import { age } from '../format';
import { formatAnalysis, type RolloutAnalysisView } from './rollout-analysis';
import { stepAt, stepsText, type StepKindView } from './rollout-steps';

/** An Istio Destination as rollouts name the stable and candidate. */
export interface Destination {
  host: string;
  subset?: string;
  port?: { number: number };
}

/** A rollout as the edge answers it (GET /api/v1/rollouts/{id}). */
export interface Rollout {
  id: number | string;
  name?: string | null;
  state: 'progressing' | 'paused' | 'succeeded' | 'aborted' | string;
  virtualService: { namespace: string; name: string };
  route?: string;
  stable: Destination;
  candidate: Destination;
  steps: number[];
  /** Mirror and A/B steps, blue-green: what each step does. */
  stepKinds?: StepKindView[];
  blueGreen?: { rollbackWindowSeconds: number };
  pauseSeconds?: number;
  timeoutSeconds?: number;
  currentStep: number;
  weight: number;
  baseRevision?: number | null;
  history?: { step: number; weight: number; revision?: number | null; startedAt?: string | null; convergedAt?: string | null; outcome: string; noProxies?: boolean; note?: string; windowEndsAt?: string }[];
  abort?: { reason: string; message?: string; revision?: number; rejections?: { node_id: string; type: string; message: string; inferred?: boolean }[]; rollbackRevision?: number | null; rollbackError?: string } | null;
  author?: string;
  createdAt?: string;
  updatedAt?: string;
  finishedAt?: string | null;
  /** Active rollouts: what the route holds now (a write by someone else may have moved it off `weight`). */
  routeNow?: { candidateWeight: number | null; revision: number | null; matches: boolean };
}

export const TERMINAL = new Set(['succeeded', 'aborted']);

export const destinationText = (d: Destination | undefined) => (d ? `${d.host}${d.subset ? `:${d.subset}` : ''}${d.port ? ` port ${d.port.number}` : ''}` : '-');

export const ROLLOUT_COLUMNS = ['ID', 'NAME', 'STATE', 'VIRTUALSERVICE', 'ROUTE', 'STEP', 'WEIGHT', 'AGE'];

export const rolloutRow = (r: Rollout) => [
  String(r.id),
  r.name ?? '-',
  r.state,
  `${r.virtualService?.namespace}/${r.virtualService?.name}`,
  r.route ?? '-',
  `${Math.min(r.currentStep + 1, r.steps.length)}/${r.steps.length}`,
  `${r.weight}%`,
  age(r.createdAt),
];

/** The rollout in words: where it stands, each step's outcome, and why it aborted. */
export function formatRollout(r: Rollout): string[] {
  const now = r.routeNow && !r.routeNow.matches ? r.routeNow : undefined;
  const lines = [
    `rollout ${r.id}${r.name ? ` (${r.name})` : ''}: ${r.state}, step ${Math.min(r.currentStep + 1, r.steps.length)} of ${r.steps.length}, candidate at ${r.weight}%${now ? ` by this rollout, ${now.candidateWeight === null ? 'but the route is gone' : `but the route sends it ${now.candidateWeight}% now`}` : ''}`,
    `  virtual service: ${r.virtualService?.namespace}/${r.virtualService?.name}${r.route ? ` route ${r.route}` : ''}`,
    `  stable:    ${destinationText(r.stable)}`,
    `  candidate: ${destinationText(r.candidate)}`,
    `  steps: ${stepsText(r)}  pause ${r.pauseSeconds ?? '-'}s  timeout ${r.timeoutSeconds ?? '-'}s${r.baseRevision != null ? `  base revision ${r.baseRevision}` : ''}`,
  ];
  if (now) {
    lines.push(
      now.candidateWeight === null
        ? `  route now: the VirtualService or its route is gone; the next step aborts the rollout`
        : `  route now: candidate at ${now.candidateWeight}% since revision ${now.revision}, written by someone else; the rollout's next step sets its own weight again`,
    );
  }
  for (const h of r.history ?? []) {
    const window = h.windowEndsAt && h.outcome === 'converged' ? (r.state === 'succeeded' ? ', rollback window passed' : `, rollback window until ${h.windowEndsAt}`) : '';
    lines.push(`  step ${h.step + 1}: ${stepAt(r, h.step)} revision ${h.revision ?? '-'} ${h.outcome}${h.noProxies ? ' (no live proxy)' : ''}${window}`);
    if (h.note) lines.push(`    ${h.note}`);
  }
  if (r.abort) {
    lines.push(`  aborted (${r.abort.reason})${r.abort.message ? `: ${r.abort.message}` : ''}${r.abort.rollbackRevision != null ? `; traffic back on stable in revision ${r.abort.rollbackRevision}` : ''}`);
    if (r.abort.rollbackError) lines.push(`    rollback: ${r.abort.rollbackError}`);
    for (const j of r.abort.rejections ?? []) lines.push(`    ${j.node_id} ${j.type}: ${j.message}${j.inferred ? ' (inferred)' : ''}`);
  }
  // Metric analysis and gates, when the rollout has them (GET /rollouts/{id} adds them).
  for (const l of formatAnalysis(r as unknown as RolloutAnalysisView)) lines.push(`  ${l}`);
  return lines;
}

/** One line of a running rollout's progress: its step, weight and the step's outcome so far. */
export function rolloutProgress(r: Rollout): string {
  const step = r.history?.at(-1);
  return `rollout ${r.id} ${r.state}, step ${Math.min(r.currentStep + 1, r.steps.length)} of ${r.steps.length}, candidate at ${r.weight}%${step ? ` (revision ${step.revision ?? '-'} ${step.outcome})` : ''}`;
}
