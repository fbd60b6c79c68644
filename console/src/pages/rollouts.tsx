import { useState } from 'preact/hooks';
import { api } from '../api';
import { ago, clock, short } from '../format';
import { usePoll } from '../poll';
import type { Destination, Rollout } from '../types';
import { Badge, Confirm, ErrorLine, Loading } from '../ui';
import { WeightChart } from './weight-chart';

const dest = (d: Destination) => `${d.subset ? `${d.subset} of ` : ''}${d.host}${d.port ? `:${d.port.number}` : ''}`;
const active = (r: Rollout) => r.state === 'progressing' || r.state === 'paused';
/** Steps are 0-based in the API and 1-based for people, as the CLI says them. */
const stepOf = (r: Rollout) => `step ${Math.min(r.currentStep + 1, r.steps.length)} of ${r.steps.length}`;

/** A step as its kind shows it: a weight is `25%`; any other kind by its name and fields (`mirror percentage 10`). */
function stepText(r: Rollout, i: number): string {
  const kind = r.stepKinds?.[i];
  if (!kind || kind.kind === 'weight') return `${r.steps[i]}%`;
  const { kind: name, ...fields } = kind;
  return `${name} ${Object.entries(fields).map(([k, v]) => (k === name ? short(v, 60) : `${k} ${short(v, 40)}`)).join(', ')}`.trim();
}

export function RolloutsPage() {
  const list = usePoll('rollouts', () => api<{ items: Rollout[] }>('/rollouts?limit=50'), 2000);
  if (!list.data) return list.error ? <ErrorLine text={list.error} /> : <Loading />;
  return (
    <section>
      <h2>Rollouts</h2>
      {list.error && <ErrorLine text={list.error} />}
      {list.data.items.length === 0 && <p class="empty">No rollouts yet: start one with <code>xdsflare rollout start</code> or <code>POST /api/v1/rollouts</code>.</p>}
      <ul class="rollouts">
        {list.data.items.map((r) => (
          <li key={r.id} data-rollout={r.id}>
            <a href={`#/rollouts/${r.id}`}>
              <span class="rev">#{r.id}</span> <strong>{r.name ?? `${r.virtualService.namespace}/${r.virtualService.name}`}</strong> <Badge text={r.state} />
              <span class="muted">
                {' '}
                {stepOf(r)}, candidate at {r.weight}% · {ago(r.updatedAt)}
              </span>
            </a>
          </li>
        ))}
      </ul>
    </section>
  );
}

type Action = 'pause' | 'resume' | 'promote' | 'abort';
const ACTIONS: { action: Action; label: string; when: (r: Rollout) => boolean; confirm?: string }[] = [
  { action: 'pause', label: 'Pause', when: (r) => r.state === 'progressing' },
  { action: 'resume', label: 'Resume', when: (r) => r.state === 'paused' },
  { action: 'promote', label: 'Promote', when: active, confirm: 'Promote skips the remaining steps and sends all traffic to the candidate (analysis of the last step still runs).' },
  { action: 'abort', label: 'Abort', when: active, confirm: 'Abort puts the route back on the stable destination and restores the objects of the rollout’s manifest.' },
];

export function RolloutPage({ id }: { id: number }) {
  const polled = usePoll<Rollout>(`rollout-${id}`, () => api(`/rollouts/${id}`), 1000);
  const [confirming, setConfirming] = useState<(typeof ACTIONS)[number]>();
  const [reason, setReason] = useState('');
  const [actionError, setActionError] = useState<string>();
  if (!polled.data) return polled.error ? <ErrorLine text={polled.error} /> : <Loading />;
  const r = polled.data;
  const act = async (action: Action) => {
    await api(`/rollouts/${id}/${action}`, { method: 'POST', body: action === 'abort' && reason ? { reason } : undefined });
    polled.reload();
  };
  const measurements = r.analysis?.measurements ?? [];
  return (
    <section>
      <p class="crumbs">
        <a href="#/rollouts">Rollouts</a> › {id}
      </p>
      <h2>
        Rollout {r.id}
        {r.name && ` ${r.name}`} <Badge text={r.state} />
      </h2>
      <p>
        VirtualService <a href="#/mesh">{r.virtualService.namespace}/{r.virtualService.name}</a> route <span class="mono">{r.route}</span>: {dest(r.stable)} → {dest(r.candidate)}
      </p>
      <p class="summary">
        {stepOf(r)}, candidate at <strong data-weight={r.weight}>{r.weight}%</strong>
        {r.routeNow && !r.routeNow.matches && <span class="warn"> — but the route sends it {r.routeNow.candidateWeight ?? '—'}% now (revision {r.routeNow.revision})</span>}
        <span class="muted"> · started {ago(r.createdAt)} by {r.author}</span>
      </p>
      {r.hold && (
        <p class="notice">
          Held by {r.hold.by}: {r.hold.message}
        </p>
      )}
      <div class="toolbar">
        {ACTIONS.filter((a) => a.when(r)).map((a) => (
          <button key={a.action} class={a.action === 'abort' ? 'danger' : ''} data-action={a.action} onClick={() => (a.confirm ? setConfirming(a) : act(a.action).catch((e: Error) => setActionError(e.message)))}>
            {a.label}
          </button>
        ))}
      </div>
      {actionError && <ErrorLine text={actionError} />}
      {confirming && (
        <Confirm title={`${confirming.label} rollout ${r.id}?`} confirmLabel={confirming.label} danger={confirming.action === 'abort'} onConfirm={() => act(confirming.action)} onClose={() => setConfirming(undefined)}>
          <p>{confirming.confirm}</p>
          {confirming.action === 'abort' && (
            <label>
              Reason (optional) <input value={reason} onInput={(e) => setReason((e.target as HTMLInputElement).value)} maxLength={1024} />
            </label>
          )}
        </Confirm>
      )}
      <h3>Candidate weight over time</h3>
      <WeightChart rollout={r} now={Date.now()} />
      <h3>Steps</h3>
      <ol class="steps">
        {r.steps.map((_, i) => {
          const record = [...r.history].reverse().find((h) => h.step === i);
          const state = record ? record.outcome : i === r.currentStep && active(r) ? 'pending' : 'planned';
          return (
            <li key={i} class={i === r.currentStep && active(r) ? 'current' : ''} data-step={i}>
              <span class="step-weight">{stepText(r, i)}</span> <Badge text={state} />
              {record?.revision != null && (
                <a class="muted" href={`#/history/${record.revision}`}>
                  {' '}
                  revision {record.revision}
                </a>
              )}
              {record?.convergedAt && <span class="muted"> · converged {clock(record.convergedAt)}</span>}
              {record?.analysis && <span class="muted"> · analysis {record.analysis}</span>}
              {record?.note && <span class="muted small"> · {record.note}</span>}
            </li>
          );
        })}
      </ol>
      {r.abort && (
        <div class="abort">
          <h3>Aborted: {r.abort.reason}</h3>
          <p>{r.abort.message}</p>
          {r.abort.rejections.map((x) => (
            <p key={`${x.node_id}${x.type}`} class="small">
              <span class="mono">{x.node_id}</span> rejected {x.type.replace('type.googleapis.com/', '')}: <span class="mono">{x.message}</span>
            </p>
          ))}
          {r.abort.rollbackRevision !== null && (
            <p>
              Rolled back in <a href={`#/history/${r.abort.rollbackRevision}`}>revision {r.abort.rollbackRevision}</a>
            </p>
          )}
          {r.abort.rollbackError && <ErrorLine text={r.abort.rollbackError} />}
        </div>
      )}
      {measurements.length > 0 && (
        <>
          <h3>Analysis</h3>
          <table class="stack measurements">
            <thead>
              <tr>
                <th>Metric</th>
                <th>Step</th>
                <th>Value</th>
                <th>Verdict</th>
                <th>At</th>
              </tr>
            </thead>
            <tbody>
              {measurements.slice(-50).reverse().map((m, i) => (
                <tr key={i}>
                  <td data-label="Metric" title={m.query}>
                    {m.metric}
                  </td>
                  <td data-label="Step">{m.step === null ? 'background' : m.step + 1}</td>
                  <td data-label="Value">{m.value === null ? '—' : Number(m.value.toPrecision(4))}</td>
                  <td data-label="Verdict">
                    <Badge text={m.verdict} /> {m.message && <span class="muted small">{m.message}</span>}
                  </td>
                  <td data-label="At">{clock(m.at)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
      {(r.gateCalls?.length ?? 0) > 0 && (
        <>
          <h3>Gates</h3>
          <ul class="small">
            {r.gateCalls!.map((g, i) => (
              <li key={i}>
                {g.type} (step {g.step + 1}) → webhook {g.webhook}: <Badge text={g.verdict} /> {g.status ?? 'unreachable'} {g.message && <span class="muted">{g.message}</span>} <span class="muted">{clock(g.at)}</span>
              </li>
            ))}
          </ul>
        </>
      )}
    </section>
  );
}
