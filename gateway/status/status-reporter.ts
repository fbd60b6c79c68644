import { ADS_TYPE_URLS, type NodeInfo, type AdsType } from '../../xds';
import type { TypeStatus } from '../ads/stream-types';

export interface StatusReporterOptions {
  edgeUrl: string;
  token: string;
  bridgeId: string;
  /** Reports go out at most this often (ACKs must reach the edge within 2 s). */
  flushMs: number;
  /** Connected proxies are reported at least this often, so the edge does not count them stale. */
  heartbeatMs: number;
  /** The edge revision the store is at: what a converged proxy has. */
  revision: () => number | undefined;
  requestTimeoutMs?: number;
  fetch?: typeof fetch;
  log?: (level: 'debug' | 'info' | 'warn' | 'error', msg: string, fields?: Record<string, unknown>) => void;
  onError?: () => void;
}

interface ProxyEntry {
  node: NodeInfo;
  view: string;
  types: Map<string, TypeStatus>;
  connected: boolean;
  lastSeen: number;
  reportedAt: number;
}

const MAX_PER_REQUEST = 1000;

/**
 * Every ACK and NACK of every proxy, batched to the edge's POST /api/v1/proxies/status. A failed
 * report keeps its entries for the next flush; proxies that left are reported once more and forgotten.
 */
export class StatusReporter {
  private proxies = new Map<string, ProxyEntry>();
  private dirty = new Set<string>();
  private timer?: NodeJS.Timeout;
  private flushing?: Promise<void>;

  constructor(private readonly o: StatusReporterOptions) {}

  start(): void {
    this.timer = setInterval(() => void this.flush(), this.o.flushMs);
    this.timer.unref?.();
  }

  /** Stops the timer after a last flush. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.flush();
  }

  update(node: NodeInfo, view: string, type: AdsType, status: TypeStatus): void {
    let entry = this.proxies.get(node.id);
    if (!entry) this.proxies.set(node.id, (entry = { node, view, types: new Map(), connected: true, lastSeen: Date.now(), reportedAt: 0 }));
    Object.assign(entry, { node, view, connected: true, lastSeen: Date.now() });
    entry.types.set(ADS_TYPE_URLS[type], status);
    this.dirty.add(node.id);
  }

  disconnect(node: NodeInfo): void {
    const entry = this.proxies.get(node.id);
    if (!entry) return;
    entry.connected = false;
    entry.lastSeen = Date.now();
    this.dirty.add(node.id);
  }

  /** Sends what changed (and heartbeats); concurrent calls share one flight. */
  flush(): Promise<void> {
    this.flushing ??= this.send().finally(() => (this.flushing = undefined));
    return this.flushing;
  }

  private async send(): Promise<void> {
    const now = Date.now();
    for (const [id, e] of this.proxies) if (e.connected && now - e.reportedAt >= this.o.heartbeatMs) this.dirty.add(id);
    const ids = [...this.dirty];
    if (!ids.length) return;
    this.dirty.clear();
    const revision = this.o.revision() ?? 0;
    for (let i = 0; i < ids.length; i += MAX_PER_REQUEST) {
      const batch = ids.slice(i, i + MAX_PER_REQUEST).map((id) => this.proxies.get(id)).filter((e): e is ProxyEntry => !!e);
      const body = {
        bridge: this.o.bridgeId,
        proxies: batch.map((e) => ({
          node_id: e.node.id,
          cluster: e.node.cluster ?? '',
          user_agent: e.node.userAgentName ?? '',
          labels: e.node.labels,
          view: e.view,
          last_seen: new Date(e.connected ? now : e.lastSeen).toISOString(),
          types: Object.fromEntries([...e.types].map(([typeUrl, s]) => [typeUrl, { acked: s.acked, served: s.served, served_revision: revision, nack: s.nack }])),
        })),
      };
      try {
        const res = await (this.o.fetch ?? fetch)(new URL('/api/v1/proxies/status', this.o.edgeUrl), {
          method: 'POST',
          headers: { authorization: `Bearer ${this.o.token}`, 'content-type': 'application/json' },
          body: JSON.stringify(body),
          signal: AbortSignal.timeout(this.o.requestTimeoutMs ?? 5000),
        });
        if (!res.ok) throw new Error(`the edge answered ${res.status}: ${(await res.text()).slice(0, 300)}`);
        for (const e of batch) {
          e.reportedAt = now;
          if (!e.connected) this.proxies.delete(e.node.id);
        }
      } catch (err) {
        for (const e of batch) this.dirty.add(e.node.id);
        this.o.onError?.();
        this.o.log?.('warn', 'could not report proxy status; will retry', { proxies: batch.length, error: err instanceof Error ? err.message : String(err) });
        return;
      }
    }
  }
}
