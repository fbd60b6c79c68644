import type { Env } from '../env';
import { emitEvent } from '../domain/events/emit';
import type { Rollout, StepRecord } from './schema';
import type { Measurement } from './analysis/schema';

const about = (r: Rollout) => ({ rollout: r.id, name: r.name, virtualService: r.virtualService, route: r.route });

/** Events never hold a rollout up: emitEvent only records them, and a failure to is logged. */
async function emit(env: Env, type: Parameters<typeof emitEvent>[1], data: Record<string, unknown>): Promise<void> {
  try {
    await emitEvent(env, type, data);
  } catch (err) {
    console.log(JSON.stringify({ level: 'error', msg: 'event not recorded', type, error: String((err as Error)?.message ?? err) }));
  }
}

/** rollout.step, when a step was committed (`started`) and when it converged. */
export const emitStep = (env: Env, r: Rollout, entry: StepRecord, phase: 'started' | 'converged') =>
  emit(env, 'rollout.step', { ...about(r), phase, step: entry.step, weight: entry.weight, revision: entry.revision, ...(entry.noProxies ? { noProxies: true } : {}) });

export const emitAborted = (env: Env, r: Rollout) => emit(env, 'rollout.aborted', { ...about(r), ...r.abort });

export const emitSucceeded = (env: Env, r: Rollout) => emit(env, 'rollout.succeeded', { ...about(r), revision: r.history.at(-1)?.revision ?? null });

/** rollout.analysis, for each measurement (its query, value, verdict), as it is recorded. */
export const emitMeasurement = (env: Env, r: Rollout, m: Measurement) => emit(env, 'rollout.analysis', { ...about(r), ...m });
