import { register as globalRegistry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { createBridgeMetrics } from './metrics';

const sample = (text: string, series: string) => text.split('\n').find((l) => l.startsWith(`${series} `))?.slice(series.length + 1);

describe('createBridgeMetrics', () => {
  it('names every bridge metric xdsflare_bridge_* with a help text', async () => {
    const { registry } = createBridgeMetrics({ defaultMetrics: false });
    const names = (await registry.getMetricsAsJSON()).map((m) => m.name).sort();
    expect(names).toEqual([
      'xdsflare_bridge_acks_total',
      'xdsflare_bridge_change_to_ack_seconds',
      'xdsflare_bridge_connected_proxies',
      'xdsflare_bridge_encodes_total',
      'xdsflare_bridge_nacks_total',
      'xdsflare_bridge_pushes_total',
      'xdsflare_bridge_snapshot_age_seconds',
      'xdsflare_bridge_snapshot_revision',
      'xdsflare_bridge_stale_serving',
      'xdsflare_bridge_upstream_errors_total',
      'xdsflare_bridge_upstream_fetches_total',
    ]);
    for (const metric of await registry.getMetricsAsJSON()) expect(metric.help.length).toBeGreaterThan(10);
  });

  it('counts pushes, ACKs and NACKs by short type name, every type starting at 0', async () => {
    const m = createBridgeMetrics({ defaultMetrics: false });
    m.pushes.inc({ type: 'clusters' });
    m.acks.inc({ type: 'clusters' });
    m.nacks.inc({ type: 'routes' }, 2);
    const text = await m.registry.metrics();
    expect(sample(text, 'xdsflare_bridge_pushes_total{type="clusters"}')).toBe('1');
    expect(sample(text, 'xdsflare_bridge_pushes_total{type="endpoints"}')).toBe('0');
    expect(sample(text, 'xdsflare_bridge_nacks_total{type="routes"}')).toBe('2');
    expect(sample(text, 'xdsflare_bridge_acks_total{type="listeners"}')).toBe('0');
  });

  it('starts connected proxies at 0 for sotw and delta, and fetch results at 0', async () => {
    const m = createBridgeMetrics({ defaultMetrics: false });
    m.connectedProxies.inc({ protocol: 'delta' });
    m.upstreamFetches.inc({ result: 'unchanged' });
    m.upstreamErrors.inc({ reason: 'timeout' });
    const text = await m.registry.metrics();
    expect(sample(text, 'xdsflare_bridge_connected_proxies{protocol="sotw"}')).toBe('0');
    expect(sample(text, 'xdsflare_bridge_connected_proxies{protocol="delta"}')).toBe('1');
    expect(sample(text, 'xdsflare_bridge_upstream_fetches_total{result="error"}')).toBe('0');
    expect(sample(text, 'xdsflare_bridge_upstream_fetches_total{result="unchanged"}')).toBe('1');
    expect(sample(text, 'xdsflare_bridge_upstream_errors_total{reason="timeout"}')).toBe('1');
  });

  it('buckets change-to-ACK seconds from 1 ms to 60 s', async () => {
    const m = createBridgeMetrics({ defaultMetrics: false });
    m.changeToAck.observe({ type: 'listeners' }, 0.004);
    const text = await m.registry.metrics();
    expect(sample(text, 'xdsflare_bridge_change_to_ack_seconds_bucket{le="0.001",type="listeners"}')).toBe('0');
    expect(sample(text, 'xdsflare_bridge_change_to_ack_seconds_bucket{le="0.005",type="listeners"}')).toBe('1');
    expect(sample(text, 'xdsflare_bridge_change_to_ack_seconds_bucket{le="60",type="listeners"}')).toBe('1');
    expect(sample(text, 'xdsflare_bridge_change_to_ack_seconds_count{type="clusters"}')).toBe('0');
  });

  it('reads the snapshot age from the given function on every scrape', async () => {
    let age: number | undefined;
    const m = createBridgeMetrics({ defaultMetrics: false, snapshotAgeSeconds: () => age });
    expect(sample(await m.registry.metrics(), 'xdsflare_bridge_snapshot_age_seconds')).toMatch(/^nan$/i);
    age = 12.5;
    expect(sample(await m.registry.metrics(), 'xdsflare_bridge_snapshot_age_seconds')).toBe('12.5');
    age = 13;
    expect(sample(await m.registry.metrics(), 'xdsflare_bridge_snapshot_age_seconds')).toBe('13');
  });

  it('still scrapes when the snapshot-age function throws', async () => {
    const m = createBridgeMetrics({ defaultMetrics: false, snapshotAgeSeconds: () => { throw new Error('boom'); } });
    expect(sample(await m.registry.metrics(), 'xdsflare_bridge_snapshot_age_seconds')).toMatch(/^nan$/i);
  });

  it('exposes revision, encodes and stale serving as plain series', async () => {
    const m = createBridgeMetrics({ defaultMetrics: false });
    m.snapshotRevision.set(42);
    m.encodes.inc(7);
    m.staleServing.set(1);
    const text = await m.registry.metrics();
    expect(sample(text, 'xdsflare_bridge_snapshot_revision')).toBe('42');
    expect(sample(text, 'xdsflare_bridge_encodes_total')).toBe('7');
    expect(sample(text, 'xdsflare_bridge_stale_serving')).toBe('1');
  });

  it('registers process metrics on its own registry, never the global one, so two bridges coexist', async () => {
    const before = (await globalRegistry.getMetricsAsJSON()).length;
    const a = createBridgeMetrics();
    const b = createBridgeMetrics();
    a.pushes.inc({ type: 'clusters' });
    expect(await a.registry.metrics()).toMatch(/^process_cpu_seconds_total /m);
    expect(await b.registry.metrics()).toMatch(/^nodejs_heap_size_used_bytes /m);
    expect(sample(await b.registry.metrics(), 'xdsflare_bridge_pushes_total{type="clusters"}')).toBe('0');
    expect((await globalRegistry.getMetricsAsJSON()).length).toBe(before);
  });
});
