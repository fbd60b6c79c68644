import { describe, expect, it } from 'vitest';
import type { IntentObject } from '../intent/types';
import { translateIntents } from '../translate/to-ir';
import { objectKey, type ObjectChange } from './closure';
import { collectionItems } from './collection';
import { publishFull } from './compile-full';
import { compileIncremental } from './compile-incremental';
import { diffPublished } from './diff-published';
import { MemoryBlobStore } from './memory-store';
import { MemoryConfigSource } from './memory-source';
import { getView, itemText } from './published-view';
import { getRoot, type PublishedRoot } from './root';
import type { BlobStore } from './types';

/** A seeded PRNG (mulberry32), so a failing sequence can be replayed from its seed. */
function random(seed: number) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const host = (i: number) => `svc-${i}.mesh.svc.cluster.local`;
const meta = (name: string, namespace = 'mesh') => ({ name, namespace });

function serviceEntry(i: number, variant = 0): IntentObject {
  const ports = [{ number: 8080, name: 'http', protocol: 'HTTP' }];
  if (variant % 3 === 1) ports.push({ number: 9090, name: 'grpc', protocol: 'GRPC' });
  if (variant % 3 === 2) ports.push({ number: 5432 + (i % 2), name: 'tcp', protocol: 'TCP' });
  return {
    apiVersion: 'networking.istio.io/v1',
    kind: 'ServiceEntry',
    metadata: meta(`svc-${i}`),
    spec: {
      hosts: [host(i)],
      location: 'MESH_INTERNAL',
      resolution: 'STATIC',
      ports,
      endpoints: [
        { address: `10.0.${i}.1`, labels: { version: 'v1' } },
        { address: `10.0.${i}.2`, labels: { version: 'v2' } },
      ],
    },
  } as IntentObject;
}

const destinationRule = (i: number, subsets = ['v1', 'v2'], lb = 'ROUND_ROBIN'): IntentObject =>
  ({
    apiVersion: 'networking.istio.io/v1',
    kind: 'DestinationRule',
    metadata: meta(`svc-${i}`),
    spec: { host: host(i), trafficPolicy: { loadBalancer: { simple: lb } }, subsets: subsets.map((s) => ({ name: s, labels: { version: s } })) },
  }) as IntentObject;

function virtualService(i: number, weight: number, extra?: { to?: number; gateway?: boolean }): IntentObject {
  const route = [
    { destination: { host: host(i), subset: 'v1', port: { number: 8080 } }, weight },
    { destination: { host: host(i), subset: 'v2', port: { number: 8080 } }, weight: 100 - weight },
  ];
  const http: unknown[] = [{ route }];
  if (extra?.to !== undefined) http.unshift({ match: [{ uri: { prefix: `/to-${extra.to}` } }], route: [{ destination: { host: host(extra.to), port: { number: 8080 } } }] });
  return {
    apiVersion: 'networking.istio.io/v1',
    kind: 'VirtualService',
    metadata: meta(`svc-${i}`),
    spec: { hosts: [host(i)], ...(extra?.gateway ? { gateways: ['mesh', 'ingress'] } : {}), http },
  } as IntentObject;
}

const gateway = (hosts: string[]): IntentObject =>
  ({
    apiVersion: 'networking.istio.io/v1',
    kind: 'Gateway',
    metadata: meta('ingress'),
    spec: { selector: { istio: 'ingressgateway' }, servers: [{ port: { number: 80, name: 'http', protocol: 'HTTP' }, hosts }] },
  }) as IntentObject;

/** Every published view expanded: slot → type → resource texts. */
async function expand(store: BlobStore, root: PublishedRoot) {
  const out: Record<string, Record<string, string[]>> = {};
  for (const [slot, key] of Object.entries(root.views).sort()) {
    const view = await getView(store, key);
    out[slot] = {};
    for (const [type, t] of Object.entries(view.types)) {
      const texts: string[] = [];
      for await (const item of collectionItems(store, t.items)) texts.push(await itemText(store, item));
      out[slot]![type] = texts;
      out[slot]![`${type}#version`] = [t.version];
    }
  }
  return { views: out, selector: root.selector, mode: root.mode };
}

/** Where two expansions differ, by view, type and resource name: a readable failure. */
function differences(got: Awaited<ReturnType<typeof expand>>, want: Awaited<ReturnType<typeof expand>>): string[] {
  const out: string[] = [];
  const nameOf = (t: string) => (t.startsWith('{') ? (JSON.parse(t) as { name?: string; cluster_name?: string }).name ?? (JSON.parse(t) as { cluster_name?: string }).cluster_name ?? t : t);
  for (const slot of new Set([...Object.keys(got.views), ...Object.keys(want.views)])) {
    const g = got.views[slot];
    const w = want.views[slot];
    if (!g || !w) {
      out.push(`${slot}: ${g ? 'extra view' : 'missing view'}`);
      continue;
    }
    for (const type of Object.keys(w)) {
      const gm = new Map((g[type] ?? []).map((t) => [nameOf(t), t]));
      const wm = new Map(w[type]!.map((t) => [nameOf(t), t]));
      for (const [n, t] of wm) if (!gm.has(n)) out.push(`${slot} ${type}: missing ${n}`); else if (gm.get(n) !== t) out.push(`${slot} ${type}: differs ${n}`);
      for (const n of gm.keys()) if (!wm.has(n)) out.push(`${slot} ${type}: extra ${n}`);
      if (!out.length && JSON.stringify(g[type]) !== JSON.stringify(w[type])) out.push(`${slot} ${type}: order ${JSON.stringify(g[type]!.map(nameOf))} vs ${JSON.stringify(w[type]!.map(nameOf))}`);
    }
  }
  if (JSON.stringify(got.selector) !== JSON.stringify(want.selector)) out.push(`selector ${JSON.stringify(got.selector)} vs ${JSON.stringify(want.selector)}`);
  return out;
}

async function fullOf(objects: IntentObject[]) {
  const { ir, errors } = translateIntents(objects);
  if (errors.length) return undefined;
  const store = new MemoryBlobStore();
  const { root } = await publishFull(store, ir, 0);
  return expand(store, root);
}

describe('incremental publishing', () => {
  it.each(Array.from({ length: 12 }, (_, i) => i + 1))('splices to what a full compile publishes, change after change (seed %i)', async (seed) => {
    const rand = random(seed);
    const N = 30;
    const objects: IntentObject[] = [];
    for (let i = 0; i < N; i++) {
      objects.push(serviceEntry(i, i));
      if (i % 2 === 0) objects.push(destinationRule(i), virtualService(i, 90, i % 4 === 0 ? { gateway: true } : undefined));
    }
    objects.push(gateway(['*']));
    const source = new MemoryConfigSource(objects);
    const store = new MemoryBlobStore();
    expect(translateIntents(objects).errors).toEqual([]);
    let { root, key } = await publishFull(store, translateIntents(objects).ir, 1);
    let applied = 0;
    for (let step = 0; step < 40; step++) {
      const i = Math.floor(rand() * N);
      const current = (kind: string) => source.objects.get(`${kind}/mesh/svc-${i}`);
      const roll = rand();
      let change: ObjectChange[];
      if (roll < 0.3) {
        // Move a weight (or create the route).
        const vs = virtualService(i, Math.floor(rand() * 101), { ...(rand() < 0.3 ? { to: (i + 1) % N } : {}), gateway: rand() < 0.3 });
        if (!current('DestinationRule')) change = [{ after: destinationRule(i) }, { before: current('VirtualService'), after: vs }];
        else change = [{ before: current('VirtualService'), after: vs }];
      } else if (roll < 0.45) {
        change = [{ before: current('ServiceEntry'), after: serviceEntry(i, Math.floor(rand() * 6)) }];
      } else if (roll < 0.55) {
        change = [{ before: current('DestinationRule'), after: destinationRule(i, rand() < 0.5 ? ['v1', 'v2'] : ['v1', 'v2', 'v3'], rand() < 0.5 ? 'LEAST_REQUEST' : 'ROUND_ROBIN') }];
      } else if (roll < 0.65) {
        // Delete a route, or a whole service (refused while another route sends to it).
        change = current('VirtualService') ? [{ before: current('VirtualService') }] : [{ before: current('ServiceEntry') }, ...(current('DestinationRule') ? [{ before: current('DestinationRule') }] : [])];
      } else if (roll < 0.75) {
        change = current('ServiceEntry') ? [] : [{ after: serviceEntry(i, Math.floor(rand() * 6)) }];
      } else if (roll < 0.8) {
        change = [{ before: source.objects.get('Gateway/mesh/ingress'), after: gateway(rand() < 0.5 ? ['*'] : [host(i), host((i + 3) % N)]) }];
      } else if (roll < 0.85) {
        // A second Gateway comes and goes (its VirtualServices bind "ingress" only, so it serves none of them).
        const other = source.objects.get('Gateway/mesh/edge');
        change = [other ? { before: other } : { after: { ...gateway([host(i)]), metadata: meta('edge'), spec: { selector: { istio: 'edge' }, servers: [{ port: { number: 8443, name: 'http-alt', protocol: 'HTTP' }, hosts: [host(i)] }] } } as IntentObject }];
      } else {
        change = [{ before: current('DestinationRule') }];
      }
      change = change.filter((c) => c.before || c.after);
      if (!change.length) continue;
      const after = new Map(source.objects);
      for (const c of change) (c.after ? after.set(objectKey(c.after), c.after) : after.delete(objectKey(c.before!)));
      const expected = await fullOf([...after.values()]);
      const result = await compileIncremental(store, root, key, change, source, step + 2);
      if (!expected) {
        expect(result.kind, `step ${step}: the full translation refuses ${JSON.stringify(change.map((c) => objectKey((c.after ?? c.before)!)))} with ${JSON.stringify(translateIntents([...after.values()]).errors)}, so must the incremental one`).toBe('refused');
        continue;
      }
      expect(result.kind, `step ${step}: ${result.kind === "refused" ? JSON.stringify(result.errors) : result.kind === "full" ? result.reason : ""}`).toBe("published");
      if (result.kind !== 'published') continue;
      source.apply(change);
      // A diff of the two roots (reading only the chunks they do not share) finds exactly what the splice changed.
      const meshOnly = (v: string) => v === 'envoy|mesh' || v === 'grpc|mesh';
      const diffed = (await diffPublished(store, root, result.root)).filter((c) => meshOnly(c.view)).map((c) => `${c.view} ${c.type} ${c.name} ${c.op === 'removed' ? 'removed' : 'written'}`);
      const spliced = [...result.changed.map((c) => ({ ...c, op: 'written' })), ...result.removed.map((c) => ({ ...c, op: 'removed' }))].filter((c) => c.variant === 'ads' && meshOnly(c.view)).map((c) => `${c.view} ${c.type} ${c.name} ${c.op}`);
      expect(diffed.sort()).toEqual([...new Set(spliced)].sort());
      ({ root, key } = result);
      expect(await getRoot(store, key)).toEqual(root);
      const got = await expand(store, root);
      expect(differences(got, expected), `step ${step}: ${JSON.stringify(change)}`).toEqual([]);
      expect(got).toEqual(expected);
      applied++;
    }
    expect(applied).toBeGreaterThan(15);
  });

  it('reads only the objects a change reaches', async () => {
    const objects: IntentObject[] = [];
    for (let i = 0; i < 400; i++) objects.push(serviceEntry(i), destinationRule(i), virtualService(i, 90));
    const source = new MemoryConfigSource(objects);
    const store = new MemoryBlobStore();
    const { root, key } = await publishFull(store, translateIntents(objects).ir, 1);
    const puts = store.puts;
    const result = await compileIncremental(store, root, key, [{ before: source.objects.get('VirtualService/mesh/svc-7'), after: virtualService(7, 50) }], source, 2);
    expect(result.kind).toBe('published');
    if (result.kind !== 'published') return;
    expect(result.closure.after).toBeLessThanOrEqual(3);
    // Route configurations changed in two mesh views and their REST twins; a chunk of virtual hosts in each, plus indexes.
    expect(store.puts - puts).toBeLessThan(30);
    expect(result.changed.map((c) => `${c.view}#${c.variant} ${c.type} ${c.name}`).sort()).toEqual([
      'envoy|mesh#ads routes 8080',
      'envoy|mesh#rest routes 8080',
      `grpc|mesh#ads routes ${host(7)}`,
      `grpc|mesh#ads routes ${host(7)}:8080`,
    ]);
  });
});

describe('incremental publishing with Sidecars and wildcard DestinationRules', () => {
  const NAMESPACES = ['ns-a', 'ns-b', 'ns-c'];
  const nsOf = (i: number) => NAMESPACES[i % NAMESPACES.length]!;
  const shost = (i: number) => `svc-${i}.${nsOf(i)}.svc.cluster.local`;
  const smeta = (i: number) => ({ name: `svc-${i}`, namespace: nsOf(i) });

  const se = (i: number, variant = 0): IntentObject => {
    const base = serviceEntry(i, variant) as IntentObject & { spec: Record<string, unknown> };
    return { ...base, metadata: smeta(i), spec: { ...base.spec, hosts: [shost(i)] } } as IntentObject;
  };
  const dr = (i: number, subsets = ['v1', 'v2']): IntentObject =>
    ({ apiVersion: 'networking.istio.io/v1', kind: 'DestinationRule', metadata: smeta(i), spec: { host: shost(i), subsets: subsets.map((s) => ({ name: s, labels: { version: s } })) } }) as IntentObject;
  const vs = (i: number, weight: number, to?: number): IntentObject => {
    const http: unknown[] = [{ route: [{ destination: { host: shost(i), subset: 'v1', port: { number: 8080 } }, weight }, { destination: { host: shost(i), subset: 'v2', port: { number: 8080 } }, weight: 100 - weight }] }];
    if (to !== undefined) http.unshift({ match: [{ uri: { prefix: `/to-${to}` } }], route: [{ destination: { host: shost(to), port: { number: 8080 } } }] });
    return { apiVersion: 'networking.istio.io/v1', kind: 'VirtualService', metadata: smeta(i), spec: { hosts: [shost(i)], http } } as IntentObject;
  };
  /** Sidecars of the kinds operators write: namespace-wide, by workloadSelector, by port, REGISTRY_ONLY, exclusions, the mesh default without `.`. */
  const SIDECARS: ((n: number) => IntentObject)[] = [
    (n) => sidecar('default', 'ns-a', { egress: [{ hosts: n % 2 ? ['./*', 'ns-b/*'] : ['./*'] }], ...(n % 3 === 0 ? { outboundTrafficPolicy: { mode: 'REGISTRY_ONLY' } } : {}) }),
    (n) => sidecar('clients', 'ns-b', { workloadSelector: { labels: { app: 'client' } }, egress: [{ hosts: [`./${shost(1)}`, `*/${shost(n % 9)}`, 'ns-c/*.ns-c.svc.cluster.local'] }] }),
    (n) => sidecar('default', 'ns-c', { egress: [{ port: { number: 8080, protocol: 'HTTP', name: 'http' }, hosts: ['ns-a/*', ...(n % 2 ? ['~ns-a/' + shost(n % 3 === 0 ? 0 : 3)] : [])] }, { hosts: ['./*'] }] }),
    (n) => sidecar('default', 'istio-system', { egress: [{ hosts: n % 2 ? ['ns-a/*'] : ['istio-system/*', 'ns-c/*'] }] }),
  ];
  const wildcardRule = (name: string, namespace: string, host: string, spec: Record<string, unknown>): IntentObject =>
    ({ apiVersion: 'networking.istio.io/v1', kind: 'DestinationRule', metadata: { name, namespace }, spec: { host, ...spec } }) as IntentObject;
  const WILDCARD_RULES: ((n: number) => IntentObject)[] = [
    (n) => wildcardRule('mesh-policy', 'istio-system', n % 2 ? '*.ns-b.svc.cluster.local' : '*.svc.cluster.local', { trafficPolicy: { loadBalancer: { simple: n % 4 < 2 ? 'LEAST_REQUEST' : 'RANDOM' } } }),
    // A namespace's rule for its own hosts (one for other namespaces' hosts would set views apart by namespace: a full compile).
    (n) => wildcardRule('local', 'ns-a', '*.ns-a.svc.cluster.local', { trafficPolicy: { connectionPool: { tcp: { maxConnections: 10 + n } } } }),
  ];
  function sidecar(name: string, namespace: string, spec: Record<string, unknown>): IntentObject {
    return { apiVersion: 'networking.istio.io/v1', kind: 'Sidecar', metadata: { name, namespace }, spec } as IntentObject;
  }

  it.each(Array.from({ length: 10 }, (_, i) => i + 1))('splices Sidecar views to what a full compile publishes, change after change (seed %i)', async (seed) => {
    const rand = random(seed * 7919);
    const N = 24;
    const objects: IntentObject[] = [];
    for (let i = 0; i < N; i++) {
      objects.push(se(i, i % 6 === 5 ? 2 : i % 3 === 1 ? 1 : 0));
      if (i % 2 === 0) objects.push(dr(i), vs(i, 90, i % 4 === 0 ? (i + 1) % N : undefined));
    }
    objects.push(SIDECARS[0]!(1), SIDECARS[1]!(2), SIDECARS[2]!(3), WILDCARD_RULES[0]!(1));
    const source = new MemoryConfigSource(objects);
    const store = new MemoryBlobStore();
    expect(translateIntents(objects).errors).toEqual([]);
    let { root, key } = await publishFull(store, translateIntents(objects).ir, 1);
    expect(root.mode).toBe('incremental');
    let applied = 0;
    let sidecarWrites = 0;
    let wildcardWrites = 0;
    for (let step = 0; step < 50; step++) {
      const i = Math.floor(rand() * N);
      const current = (kind: string) => source.objects.get(`${kind}/${nsOf(i)}/svc-${i}`);
      // Every tenth change writes a wildcard DestinationRule, so each sequence has some.
      const roll = step % 10 === 5 ? 0.65 : rand();
      let change: ObjectChange[];
      if (roll < 0.25) {
        const next = vs(i, Math.floor(rand() * 101), rand() < 0.4 ? Math.floor(rand() * N) : undefined);
        change = current('DestinationRule') ? [{ before: current('VirtualService'), after: next }] : [{ after: dr(i) }, { before: current('VirtualService'), after: next }];
      } else if (roll < 0.4) {
        change = current('ServiceEntry') ? [{ before: current('ServiceEntry'), after: se(i, Math.floor(rand() * 3) === 2 ? 1 : 0) }] : [{ after: se(i) }];
      } else if (roll < 0.5) {
        change = [{ before: current('DestinationRule'), after: dr(i, rand() < 0.5 ? ['v1', 'v2'] : ['v1', 'v2', 'v3']) }];
      } else if (roll < 0.6) {
        change = current('VirtualService') ? [{ before: current('VirtualService') }] : [{ before: current('ServiceEntry') }, ...(current('DestinationRule') ? [{ before: current('DestinationRule') }] : [])];
      } else if (roll < 0.7) {
        // A wildcard DestinationRule (the root namespace's for a namespace, or a namespace's own) created, changed or deleted.
        const made = WILDCARD_RULES[Math.floor(rand() * WILDCARD_RULES.length)]!(Math.floor(rand() * 4));
        const stored = source.objects.get(objectKey(made));
        change = [stored && rand() < 0.3 ? { before: stored } : { before: stored, after: made }];
        wildcardWrites++;
      } else {
        // A Sidecar created, changed or deleted.
        const made = SIDECARS[Math.floor(rand() * SIDECARS.length)]!(Math.floor(rand() * 12));
        const stored = source.objects.get(objectKey(made));
        change = [stored && rand() < 0.3 ? { before: stored } : { before: stored, after: made }];
        sidecarWrites++;
      }
      change = change.filter((c) => c.before || c.after);
      if (!change.length) continue;
      const after = new Map(source.objects);
      for (const c of change) (c.after ? after.set(objectKey(c.after), c.after) : after.delete(objectKey(c.before!)));
      const expected = await fullOf([...after.values()]);
      const result = await compileIncremental(store, root, key, change, source, step + 2);
      if (!expected) {
        expect(result.kind, `step ${step}: the full translation refuses ${JSON.stringify(change.map((c) => objectKey((c.after ?? c.before)!)))}, so must the incremental one`).toBe('refused');
        continue;
      }
      expect(result.kind, `step ${step}: ${result.kind === 'refused' ? JSON.stringify(result.errors) : result.kind === 'full' ? result.reason : ''}`).toBe('published');
      if (result.kind !== 'published') continue;
      source.apply(change);
      // What the splice says it changed is what differs between the two roots, Sidecar views included.
      const diffed = (await diffPublished(store, root, result.root)).map((c) => `${c.view} ${c.type} ${c.name} ${c.op === 'removed' ? 'removed' : 'written'}`);
      const spliced = [...result.changed.map((c) => ({ ...c, op: 'written' })), ...result.removed.map((c) => ({ ...c, op: 'removed' }))].filter((c) => c.variant === 'ads').map((c) => `${c.view} ${c.type} ${c.name} ${c.op}`);
      expect(diffed.sort(), `step ${step}: ${JSON.stringify(change)}`).toEqual([...new Set(spliced)].sort());
      ({ root, key } = result);
      const got = await expand(store, root);
      expect(differences(got, expected), `step ${step}: ${JSON.stringify(change)}`).toEqual([]);
      expect(got).toEqual(expected);
      applied++;
    }
    expect(applied).toBeGreaterThan(25);
    expect(sidecarWrites).toBeGreaterThan(5);
    expect(wildcardWrites).toBeGreaterThan(4);
  });
});
