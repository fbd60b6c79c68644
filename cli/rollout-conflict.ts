// What the CLI says about a 409 for a write that moves an active rollout's route (no imports: problem.ts, under the client, uses it).

/** The rollouts a 409 names (the problem's `rollouts` member). */
export interface OwningRollout {
  id: number;
  state: string;
  virtualService: { namespace: string; name: string };
  route: string;
  currentStep: number;
  steps: number[];
  weight: number;
}

/** What the CLI says to do about a 409 for a rollout's route: the flags, not the query parameters. */
export function rolloutConflictLines(rollouts: OwningRollout[]): string[] {
  if (!rollouts.length) return [];
  const ids = rollouts.map((r) => r.id).join(', ');
  return [
    ...rollouts.map((r) => `  rollout ${r.id} (${r.state}, step ${Math.min(r.currentStep + 1, r.steps.length)} of ${r.steps.length}, candidate at ${r.weight}%) owns route ${r.route} of VirtualService ${r.virtualService.namespace}/${r.virtualService.name}`),
    `to abort rollout ${ids} with this write (its weights stand): run it again with --abort-rollout`,
    `to write anyway and leave it running (its next step sets its weight again): --force`,
    `or steer it first: xdsflare rollout pause|promote|abort ${rollouts[0]!.id}`,
  ];
}
