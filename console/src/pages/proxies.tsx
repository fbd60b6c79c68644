import { api } from '../api';
import { ago } from '../format';
import { usePoll } from '../poll';
import { proxyStatus, XDS_TYPES } from '../proxy-status';
import type { Proxy } from '../types';
import { Badge, ErrorLine, Loading } from '../ui';

/** Proxies as `istioctl proxy-status` lists them: per type SYNCED, STALE, NOT SENT or NACK, and every NACK's message. */
export function ProxiesPage() {
  const proxies = usePoll('proxies', () => api<{ items: Proxy[] }>('/proxies'), 2000);
  if (!proxies.data) return proxies.error ? <ErrorLine text={proxies.error} /> : <Loading />;
  const rows = proxies.data.items.map((p) => ({ proxy: p, status: proxyStatus(p) }));
  const columns = XDS_TYPES.filter((t) => t.column !== 'SDS' || rows.some((r) => r.status.SDS));
  return (
    <section>
      <h2>Proxies</h2>
      {proxies.error && <ErrorLine text={proxies.error} />}
      {rows.length === 0 && <p class="empty">No proxy has polled the edge or connected to a bridge in the last few minutes.</p>}
      {rows.length > 0 && (
        <table class="proxies stack">
          <thead>
            <tr>
              <th>Name</th>
              <th>Via</th>
              {columns.map((c) => (
                <th key={c.column}>{c.column}</th>
              ))}
              <th>Revision</th>
              <th>Seen</th>
            </tr>
          </thead>
          <tbody>
            {rows.map(({ proxy: p, status }) => {
              const nacks = Object.entries(status).flatMap(([column, s]) => s.nacks.map((n) => ({ column, ...n })));
              const revision = Math.max(0, ...Object.values(status).map((s) => s.servedRevision ?? 0));
              return [
                <tr key={p.nodeId} data-node={p.nodeId} class={p.stale ? 'gone' : ''}>
                  <td data-label="Name">
                    <span class="mono">{p.nodeId}</span>
                    <span class="muted small"> {p.userAgent}</span>
                  </td>
                  <td data-label="Via">{p.bridge ? `${p.transport} · bridge ${p.bridge}` : p.transport}</td>
                  {columns.map((c) => (
                    <td key={c.column} data-label={c.column} data-type={c.column}>
                      {status[c.column] ? <Badge text={status[c.column]!.status} /> : <span class="muted">—</span>}
                    </td>
                  ))}
                  <td data-label="Revision">{revision || '—'}</td>
                  <td data-label="Seen">{p.stale ? <Badge text={`not seen ${ago(p.lastSeen)}`} tone="stale" /> : ago(p.lastSeen)}</td>
                </tr>,
                ...nacks.map((n) => (
                  <tr key={`${p.nodeId}${n.subscription}`} class="nack-row" data-nack-for={p.nodeId}>
                    <td colSpan={columns.length + 4}>
                      <strong>{n.column} NACK</strong> of version <span class="mono">{n.version}</span> {ago(n.at)}
                      {n.inferred && <span class="muted"> (inferred: a REST poller kept its old version)</span>}
                      <pre class="nack-message">{n.message}</pre>
                    </td>
                  </tr>
                )),
              ];
            })}
          </tbody>
        </table>
      )}
    </section>
  );
}
