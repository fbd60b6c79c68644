import type { OptionSpec, Values } from './command';
import { UsageError } from './exit-codes';

/**
 * --force and --abort-rollout: what a write that moves the route of an active rollout does
 * (docs/rollouts.md, Who owns the route). Without either the edge answers 409 naming the rollout.
 */
export const ROLLOUT_OVERRIDE_OPTIONS: Record<string, OptionSpec> = {
  force: { type: 'boolean', description: 'write even if it moves the route of an active rollout, leaving the rollout running (its next step sets its weight again)' },
  'abort-rollout': { type: 'boolean', description: 'abort the active rollout whose route this write moves, in the same revision (the write\'s weights stand)' },
};

/** The query the edge takes for them (?force=true, ?rollout=abort). */
export function rolloutOverrideQuery(values: Values): { force?: true; rollout?: 'abort' } {
  if (values.force === true && values['abort-rollout'] === true) throw new UsageError('--force and --abort-rollout contradict each other: leave the rollout running, or abort it');
  if (values['abort-rollout'] === true) return { rollout: 'abort' };
  return values.force === true ? { force: true } : {};
}
