/** What a rollout step does (the edge's `stepKinds`; rollouts with weights only have none). */
export type StepKindView =
  | { kind: 'weight'; weight: number }
  | { kind: 'mirror'; percentage: number }
  | { kind: 'match'; match: { headers?: Record<string, Record<string, string>>; cookie?: { name: string; value: string } }[] };

export interface RolloutStepsView {
  steps: number[];
  stepKinds?: StepKindView[];
  blueGreen?: { rollbackWindowSeconds: number };
}

const matchText = (m: Extract<StepKindView, { kind: 'match' }>['match'][number]) =>
  [...Object.entries(m.headers ?? {}).map(([h, v]) => `${h} ${Object.entries(v).map(([op, x]) => `${op} ${x}`).join('')}`), ...(m.cookie ? [`cookie ${m.cookie.name}=${m.cookie.value}`] : [])].join(' and ');

/** One step in words: `25%`, `mirror 20%`, `A/B x-canary exact yes`. */
export function stepText(k: StepKindView): string {
  if (k.kind === 'weight') return `${k.weight}%`;
  if (k.kind === 'mirror') return `mirror ${k.percentage}%`;
  return `A/B ${k.match.map(matchText).join(' or ')}`;
}

/** The step at `index` in words, from stepKinds when the rollout has them, else its weight. */
export const stepAt = (r: RolloutStepsView, index: number) => (r.stepKinds?.[index] ? stepText(r.stepKinds[index]!) : `${r.steps[index]}%`);

/** The steps line of `rollout status`: each step, and blue-green's rollback window. */
export function stepsText(r: RolloutStepsView): string {
  const steps = r.steps.map((_, i) => stepAt(r, i)).join(', ');
  return r.blueGreen ? `${steps}  (blue-green, rollback window ${r.blueGreen.rollbackWindowSeconds}s)` : steps;
}
