import { cancelGateDelivery, enqueueGate, gateDeliveryId, readGateDelivery } from '../../domain/events/gate-outbox';
import type { Env } from '../../env';
import type { Rollout } from '../schema';
import type { Gate, GateCall, GateType } from './schema';

/** What the gates before a step say: all answered 2xx, still waiting (or holding), or one aborts. */
export type GatesState = { kind: 'passed' } | { kind: 'waiting'; held?: string } | { kind: 'failed'; call: GateCall; message: string };

const MAX_GATE_CALLS = 200;

/** The gates asked before `step`: pre-rollout before the first, rollout before every later one, and confirm-promotion also before the last. */
export function gatesBefore(r: Pick<Rollout, 'gates' | 'steps'>, step: number): Gate[] {
  const types: GateType[] = step === 0 ? ['pre-rollout'] : step === r.steps.length - 1 ? ['rollout', 'confirm-promotion'] : ['rollout'];
  return (r.gates ?? []).filter((g) => types.includes(g.type));
}

const describe = (d: { lastStatus: number | null; lastError: string | null }) => d.lastError ?? (d.lastStatus === null ? 'no answer' : `HTTP ${d.lastStatus}`);

/**
 * One look at the gates before `step`: each is one webhook delivery, queued once and read back from
 * the outbox. A non-2xx answer aborts (onFailure abort: the retries are stopped) or holds (the
 * dispatcher retries with its backoff; when it gives up, the gate is asked again with a new delivery).
 */
export async function checkGates(env: Env, r: Rollout, step: number, now: number): Promise<GatesState> {
  const calls = (r.gateCalls ??= []);
  const held: string[] = [];
  let waiting = false;
  for (const gate of gatesBefore(r, step)) {
    const mine = calls.filter((c) => c.type === gate.type && c.webhook === gate.webhook && c.step === step);
    let call = mine.at(-1);
    if (!call || call.verdict === 'failed') {
      const delivery = await gateDeliveryId(`${r.id}\n${step}\n${gate.type}\n${gate.webhook}\n${mine.length}`);
      const data = { gate: gate.type, rollout: r.id, name: r.name, virtualService: r.virtualService, route: r.route, step, weight: r.steps[step], stable: r.stable, candidate: r.candidate };
      const queued = await enqueueGate(env, gate.webhook, delivery, data);
      call = { type: gate.type, webhook: gate.webhook, step, delivery, at: new Date(now).toISOString(), verdict: queued ? 'pending' : 'held', status: null, ...(queued ? {} : { message: `no webhook named ${gate.webhook}` }) };
      calls.push(call);
      if (calls.length > MAX_GATE_CALLS) calls.splice(0, calls.length - MAX_GATE_CALLS);
      if (!queued) {
        if (gate.onFailure === 'abort') return { kind: 'failed', call: { ...call, verdict: 'failed' }, message: `the ${gate.type} gate cannot be asked: ${call.message}` };
        call.verdict = 'failed'; // asked again next time, once the webhook exists
        held.push(`${gate.type} gate ${gate.webhook}: ${call.message}`);
        continue;
      }
    }
    if (call.verdict === 'passed') continue;
    const d = await readGateDelivery(env, call.delivery);
    if (d?.status === 'delivered') {
      Object.assign(call, { verdict: 'passed', status: d.lastStatus, at: new Date(now).toISOString() });
      delete call.message;
      continue;
    }
    if (!d || d.attempts === 0) {
      waiting = true;
      continue;
    }
    // Answered, but not 2xx (or not reachable).
    Object.assign(call, { status: d.lastStatus, message: describe(d), at: new Date(now).toISOString() });
    const message = `the ${gate.type} gate (webhook ${gate.webhook}) answered ${describe(d)}`;
    if (gate.onFailure === 'abort') {
      await cancelGateDelivery(env, call.delivery, 'the rollout aborted on this answer');
      call.verdict = 'failed';
      return { kind: 'failed', call, message };
    }
    // The dispatcher gave up retrying: ask again with a new delivery next time.
    call.verdict = d.status === 'failed' ? 'failed' : 'held';
    held.push(message);
  }
  if (held.length) return { kind: 'waiting', held: held.join('; ') };
  return waiting ? { kind: 'waiting' } : { kind: 'passed' };
}
