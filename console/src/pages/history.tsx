import { useState } from 'preact/hooks';
import { api } from '../api';
import { ago, clock, short } from '../format';
import { usePoll } from '../poll';
import type { PatchOp, Revision, RevisionDetail, RevisionStatus, RollbackResult } from '../types';
import { Badge, Confirm, ErrorLine, Loading } from '../ui';

/** Where a revision came from, in a few words: a rollout step, a rollback, a CI run. */
function origin(r: Revision): string {
  const s = r.source;
  // Steps are recorded 0-based and shown 1-based, as the CLI shows them; `rollback` and other words as they are.
  if (s.rollout) return `rollout ${s.rollout}${s.step === undefined ? '' : /^\d+$/.test(s.step) ? ` step ${Number(s.step) + 1}` : ` ${s.step}`}`;
  if (s.rollbackTo) return `rollback to ${s.rollbackTo}`;
  if (s.ciRunId) return `CI ${s.ciPipeline ?? ''} run ${s.ciRunId}`.replace('  ', ' ');
  return s.userAgent?.split(' ')[0] ?? '';
}

const changeLine = (c: { op: string; kind: string; namespace: string; name: string }) => `${c.op} ${c.kind} ${c.namespace}/${c.name}`;

/** The head revision's status, held open with `?wait=` while it is pending so a settled rollout shows at once. */
function HeadStatus({ head }: { head: number }) {
  const status = usePoll<RevisionStatus>(`status-${head}`, (last) => api(`/revisions/${head}/status${last?.phase === 'pending' ? '?wait=20' : ''}`), 2000);
  if (!status.data) return null;
  const s = status.data;
  return (
    <p class="head-status">
      Revision {head} on the proxies: <Badge text={s.phase} /> {s.counts.converged} converged, {s.counts.rejected} rejected, {s.counts.pending} pending, {s.counts.stale} stale
      {s.note && <span class="muted small"> — {s.note}</span>}
    </p>
  );
}

export function HistoryPage() {
  const list = usePoll('history', () => api<{ items: Revision[] }>('/revisions?limit=50'), 3000);
  if (!list.data) return list.error ? <ErrorLine text={list.error} /> : <Loading />;
  const head = list.data.items[0]?.revision;
  return (
    <section>
      <h2>History</h2>
      {list.error && <ErrorLine text={list.error} />}
      {head !== undefined && <HeadStatus head={head} />}
      {head === undefined && <p class="empty">No revisions yet.</p>}
      <ol class="revisions">
        {list.data.items.map((r) => (
          <li key={r.revision} data-revision={r.revision}>
            <a href={`#/history/${r.revision}`}>
              <span class="rev">#{r.revision}</span>
              <span class="muted">{ago(r.createdAt)}</span> <span>{r.author}</span> <span class="muted">{origin(r)}</span>
              {r.outcome && <Badge text={r.outcome} />}
              {r.revision === head && <Badge text="head" tone="head" />}
              <span class="changes">{r.changes.slice(0, 3).map(changeLine).join(', ')}{(r.changesTotal ?? r.changes.length) > 3 ? `, … ${r.changesTotal ?? r.changes.length} in all` : ''}</span>
            </a>
          </li>
        ))}
      </ol>
    </section>
  );
}

const Patch = ({ patch, ops }: { patch?: PatchOp[]; ops?: number }) =>
  patch ? (
    <ul class="patch mono">
      {patch.map((p, i) => (
        <li key={i} class={`op-${p.op}`}>
          <span class="op">{p.op}</span> {p.path}
          {p.from !== undefined && ` from ${p.from}`}
          {p.value !== undefined && <span class="value"> {short(p.value, 200)}</span>}
        </li>
      ))}
    </ul>
  ) : ops !== undefined ? (
    <p class="muted small">{ops} operations (too many to list)</p>
  ) : null;

/** One revision: what it changed in the intents and in what Envoy receives, and a rollback to it. */
export function RevisionPage({ n }: { n: number }) {
  const detail = usePoll<RevisionDetail>(`revision-${n}`, () => api(`/revisions/${n}`), 10_000);
  const [confirming, setConfirming] = useState(false);
  const [done, setDone] = useState<RollbackResult>();
  if (!detail.data) return detail.error ? <ErrorLine text={detail.error} /> : <Loading />;
  const r = detail.data;
  const rollback = async () => {
    const result = await api<RollbackResult>(`/revisions/${n}/rollback`, { method: 'POST' });
    setDone(result);
  };
  return (
    <section>
      <p class="crumbs">
        <a href="#/history">History</a> › revision {n}
      </p>
      <h2>
        Revision {r.revision} {r.outcome && <Badge text={r.outcome} />}
      </h2>
      <p>
        {clock(r.createdAt)} ({ago(r.createdAt)}) by {r.author} <span class="muted">{origin(r)}</span>
      </p>
      <p class="muted small mono">config {r.configHash.slice(0, 16)}</p>
      <div class="toolbar">
        <button class="danger" onClick={() => setConfirming(true)}>
          Roll back to revision {n}
        </button>
      </div>
      {done && (
        <p class="notice" role="status">
          {done.committed ? (
            <>
              Rolled back: <a href={`#/history/${done.revision}`}>revision {done.revision}</a> restores the state of revision {done.rolledBackTo}.
            </>
          ) : (
            <>Nothing to do: the config already equals revision {done.rolledBackTo} (head {done.revision}).</>
          )}
        </p>
      )}
      {confirming && (
        <Confirm title={`Roll back to revision ${n}?`} confirmLabel="Roll back" danger onConfirm={rollback} onClose={() => setConfirming(false)}>
          <p>A new revision will restore every object to its state at revision {n}, and the proxies get it at once. Rollouts in progress on these routes see the weights move.</p>
        </Confirm>
      )}
      <h3>Intents</h3>
      {r.diff?.intents.length === 0 && <p class="muted">No object changed.</p>}
      {r.diff?.intents.map((i) => (
        <div class="diff" key={`${i.kind}/${i.namespace}/${i.name}`}>
          <p>
            <Badge text={i.op} /> <strong>{i.kind}</strong> {i.namespace}/{i.name}
          </p>
          <Patch patch={i.patch} ops={i.patchOps} />
        </div>
      ))}
      <h3>Rendered Envoy config</h3>
      {r.diff?.errors?.map((e) => <ErrorLine key={e} text={e} />)}
      {r.diff?.rendered.length === 0 && <p class="muted">No Envoy resource changed.</p>}
      {r.diff?.rendered.map((d) => (
        <div class="diff" key={`${d.view}${d.type}${d.name}`}>
          <p>
            <Badge text={d.op} /> <span class="mono">{d.name}</span> <span class="muted small">{d.type.replace('type.googleapis.com/', '')} · {d.view}</span>
          </p>
          <Patch patch={d.patch} ops={d.patchOps} />
        </div>
      ))}
      {r.diff?.truncated && <p class="muted">Cut at the API's limits: {r.diff.counts.intents} intents and {r.diff.counts.rendered} rendered entries in all.</p>}
    </section>
  );
}
