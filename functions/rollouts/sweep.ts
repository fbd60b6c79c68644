import { openDatabase } from '../domain/db/store';
import type { Env } from '../env';
import { rolloutStub } from './driver-stub';
import { overdueRollouts } from './store';

/**
 * The once-a-minute safety net (the cron trigger): every progressing rollout whose driver should
 * have acted by now gets its alarm back if it lost it (a request that died before arming it, say).
 * The alarms are the clock; this only re-arms them. Returns the ids it re-armed.
 */
export async function sweepRollouts(env: Env): Promise<number[]> {
  const overdue = await overdueRollouts(openDatabase(env.DB), new Date().toISOString());
  const woken = await Promise.all(overdue.map(async (id) => ((await rolloutStub(env, id).wake(id)) ? id : undefined)));
  const rearmed = woken.filter((id): id is number => id !== undefined);
  if (rearmed.length) console.log(JSON.stringify({ level: 'warn', msg: 'rollout alarms re-armed by the sweep', rollouts: rearmed }));
  return rearmed;
}
