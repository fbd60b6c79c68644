import { describe, expect, it } from 'vitest';
import { StatusReporter } from './status-reporter';

const node = (id: string) => ({ id, userAgentName: 'gRPC Node Pure JS', labels: { app: 'a' } });
const CDS = 'type.googleapis.com/envoy.config.cluster.v3.Cluster';

function reporter(statuses: number[]) {
  const bodies: any[] = [];
  const fetch = (async (_url: URL, init: RequestInit) => {
    bodies.push(JSON.parse(String(init.body)));
    return new Response(null, { status: statuses.shift() ?? 204 });
  }) as unknown as typeof globalThis.fetch;
  const r = new StatusReporter({ edgeUrl: 'http://edge.test', token: 't', bridgeId: 'b-1', flushMs: 100_000, heartbeatMs: 100_000, revision: () => 9, fetch });
  return { r, bodies };
}

describe('StatusReporter', () => {
  it('batches what changed into one report with the revision the store is at', async () => {
    const { r, bodies } = reporter([]);
    r.update(node('p1'), 'grpc|mesh', 'clusters', { acked: 'v1', served: 'v1', nack: null });
    r.update(node('p1'), 'grpc|mesh', 'routes', { acked: 'r0', served: 'r1', nack: { version: 'r1', message: 'bad route' } });
    r.update(node('p2'), 'grpc|mesh', 'clusters', { acked: 'v1', served: 'v1', nack: null });
    await r.flush();
    expect(bodies).toHaveLength(1);
    expect(bodies[0].bridge).toBe('b-1');
    const p1 = bodies[0].proxies.find((p: any) => p.node_id === 'p1');
    expect(p1).toMatchObject({ user_agent: 'gRPC Node Pure JS', labels: { app: 'a' }, view: 'grpc|mesh' });
    expect(p1.types[CDS]).toEqual({ acked: 'v1', served: 'v1', served_revision: 9, nack: null });
    expect(p1.types['type.googleapis.com/envoy.config.route.v3.RouteConfiguration'].nack).toEqual({ version: 'r1', message: 'bad route' });
    await r.flush();
    expect(bodies).toHaveLength(1); // nothing changed since
  });

  it('keeps a failed report for the next flush', async () => {
    const { r, bodies } = reporter([503]);
    r.update(node('p1'), 'grpc|mesh', 'clusters', { acked: 'v1', served: 'v1', nack: null });
    await r.flush();
    await r.flush();
    expect(bodies).toHaveLength(2);
    expect(bodies[1].proxies[0].node_id).toBe('p1');
  });

  it('reports a proxy that left once more, with the time it left, then forgets it', async () => {
    const { r, bodies } = reporter([]);
    r.update(node('p1'), 'grpc|mesh', 'clusters', { acked: 'v1', served: 'v1', nack: null });
    await r.flush();
    r.disconnect(node('p1'));
    await r.flush();
    await r.flush();
    expect(bodies).toHaveLength(2);
    expect(Date.parse(bodies[1].proxies[0].last_seen)).toBeLessThanOrEqual(Date.now());
  });
});
