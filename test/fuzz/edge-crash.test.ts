import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify as toYaml } from 'yaml';
import { afterAll, describe, expect, it } from 'vitest';
import { devVarsPath } from '../../scripts/dev-vars.mjs';
import { RESOURCE_TYPES, type ResourceType } from '../../xds';
import { envoyRegistry } from '../support/envoy-registry';
import { sleep } from '../support/echo-traffic';
import { fuzzSettings, seededRandom } from '../support/fuzz-settings';
import { startEdge, type RunningEdge } from '../support/start-server';

/**
 * Issue 13's crash test: the edge as `npm start` runs it (wrangler dev → workerd, local D1 and R2 in a state
 * directory) is killed with SIGKILL while writers apply and PUT with Idempotency-Keys, and restarted on the
 * same state, several times. Afterwards: every revision is whole (its object_history rows are all there, a
 * mesh applied in one request changed all its objects or none), what is served decodes with Envoy's protos
 * and matches the stored objects, and every Idempotency-Key gets a definite answer once its lease is over.
 */

const PORT = 8795;
const NS = 'crash';
const GROUPS = 4;
const WRITERS = 6;
/** functions/http/idempotency.ts's IDEMPOTENCY_LEASE_MS: a key cut off by the kill is taken over after it. */
const LEASE_MS = 60_000;

const settings = fuzzSettings(process.env, 'edge-crash');
const random = seededRandom(settings.seed);
const KILLS = Math.round(3 * settings.scale);

const host = (g: number) => `svc-${g}.${NS}.svc.cluster.local`;
/** One service's mesh, every object marked with the write that made it: a whole apply shows as one gen on all three. */
function group(g: number, gen: string, v1: number) {
  const metadata = (kind: string) => ({ name: `svc-${g}`, namespace: NS, annotations: { 'crash.test/gen': gen }, labels: { group: String(g), kind } });
  return [
    { apiVersion: 'networking.istio.io/v1', kind: 'ServiceEntry', metadata: metadata('se'), spec: { hosts: [host(g)], location: 'MESH_INTERNAL', resolution: 'STATIC', ports: [{ number: 80, name: 'http', protocol: 'HTTP' }], endpoints: [{ address: `10.1.${g}.1`, labels: { version: 'v1' } }, { address: `10.1.${g}.2`, labels: { version: 'v2' } }] } },
    { apiVersion: 'networking.istio.io/v1', kind: 'DestinationRule', metadata: metadata('dr'), spec: { host: host(g), subsets: [{ name: 'v1', labels: { version: 'v1' } }, { name: 'v2', labels: { version: 'v2' } }] } },
    { apiVersion: 'networking.istio.io/v1', kind: 'VirtualService', metadata: metadata('vs'), spec: { hosts: [host(g)], http: [{ route: [{ destination: { host: host(g), subset: 'v1' }, weight: v1 }, { destination: { host: host(g), subset: 'v2' }, weight: 100 - v1 }] }] } },
  ];
}
const solo = (w: number, gen: string) => ({ apiVersion: 'networking.istio.io/v1', kind: 'ServiceEntry', metadata: { name: `solo-${w}`, namespace: NS, annotations: { 'crash.test/gen': gen } }, spec: { hosts: [`solo-${w}.${NS}.svc.cluster.local`], location: 'MESH_INTERNAL', resolution: 'STATIC', ports: [{ number: 80, name: 'http', protocol: 'HTTP' }], endpoints: [{ address: `10.2.0.${w + 1}` }] } });

interface Write {
  key: string;
  method: string;
  path: string;
  body: string;
  contentType: string;
  /** The status answered, or 'cut' when the kill came first. */
  answer: number | 'cut';
  /** When the kill that cut it happened. */
  cutAt?: number;
  /** A refusal's body, for the log. */
  detail?: string;
}

const token = () => /^ADMIN_TOKEN=(.*)$/m.exec(readFileSync(devVarsPath, 'utf8'))![1]!.trim();
const base = `http://127.0.0.1:${PORT}`;
const send = (w: Pick<Write, 'key' | 'method' | 'path' | 'body' | 'contentType'>) =>
  fetch(base + w.path, { method: w.method, headers: { authorization: `Bearer ${token()}`, 'content-type': w.contentType, 'idempotency-key': w.key }, body: w.body });
async function api(path: string): Promise<any> {
  const res = await fetch(base + path, { headers: { authorization: `Bearer ${token()}` } });
  if (!res.ok) throw new Error(`GET ${path}: ${res.status} ${await res.text()}`);
  return res.json();
}

/** The next write of writer w: an apply of one group (JSON or YAML), or a PUT of its own object. */
function nextWrite(round: number, w: number, seq: number): Omit<Write, 'answer'> {
  const key = `crash-${settings.seed}-${round}-${w}-${seq}`;
  const gen = `${round}-${w}-${seq}`;
  if (random.next() < 0.3) return { key, method: 'PUT', path: `/api/v1/namespaces/${NS}/serviceentries/solo-${w}`, body: JSON.stringify(solo(w, gen)), contentType: 'application/json' };
  const objects = group(random.int(0, GROUPS - 1), gen, random.int(0, 100));
  return random.next() < 0.5
    ? { key, method: 'POST', path: '/api/v1/apply', body: JSON.stringify(objects), contentType: 'application/json' }
    : { key, method: 'POST', path: '/api/v1/apply', body: objects.map((o) => toYaml(o)).join('---\n'), contentType: 'application/yaml' };
}

describe('the edge killed during writes and restarted on the same state', () => {
  const state = mkdtempSync(join(tmpdir(), 'xdsflare-crash-'));
  let edge: RunningEdge | undefined;
  const writes: Write[] = [];
  afterAll(async () => {
    await edge?.stop();
    rmSync(state, { recursive: true, force: true });
  });

  it(`loses nothing half-written over ${KILLS} kills, and leaves no Idempotency-Key stuck`, async () => {
    const start = () => startEdge(PORT, { stateDir: state, env: { XDSFLARE_NO_BRIDGE: '1' } });
    edge = await start();
    for (let round = 0; round < KILLS; round++) {
      let running = true;
      const writer = async (w: number) => {
        for (let seq = 0; running; seq++) {
          const write: Write = { ...nextWrite(round, w, seq), answer: 'cut' };
          writes.push(write);
          try {
            const res = await send(write);
            const text = await res.text();
            write.answer = res.status;
            if (res.status >= 400) write.detail = text.slice(0, 300);
          } catch {
            return; // the kill: this one stays 'cut'
          }
        }
      };
      const writers = Array.from({ length: WRITERS }, (_, w) => writer(w));
      // Long enough for several commits to finish, random so the kill lands anywhere in one.
      await sleep(random.int(3000, 8000));
      running = false;
      const cutAt = Date.now();
      await edge.crash();
      await Promise.all(writers);
      for (const w of writes) if (w.answer === 'cut' && w.cutAt === undefined) w.cutAt = cutAt;
      edge = await start();
    }
    const byAnswer = (a: Write['answer']) => writes.filter((w) => w.answer === a).length;
    for (const w of writes.filter((w) => w.answer === 409).slice(0, 2)) console.log(`edge-crash: a 409 during the writes (${w.key}): ${w.detail}`);
    console.log(`edge-crash: ${writes.length} writes over ${KILLS} kills: ${byAnswer(201)} committed, ${byAnswer(200)} unchanged, ${byAnswer('cut')} cut by a kill, others ${JSON.stringify(writes.filter((w) => typeof w.answer === 'number' && w.answer !== 200 && w.answer !== 201).map((w) => w.answer))}`);
    expect(byAnswer('cut'), 'some writes were in flight at a kill').toBeGreaterThan(0);
    expect(writes.filter((w) => typeof w.answer === 'number' && w.answer >= 500).map((w) => `${w.key}: ${w.answer}`)).toEqual([]);

    // Every key again, after its lease: a kept answer is replayed, a cut write is taken over and answered.
    for (const w of writes) {
      let res = await send(w);
      while (res.status === 409 && w.answer === 'cut' && Date.now() < w.cutAt! + LEASE_MS + 30_000) {
        expect(res.headers.get('retry-after'), `${w.key}: 409 while its lease runs`).toBe('1');
        await res.text();
        await sleep(2000);
        res = await send(w);
      }
      const text = await res.text();
      expect([200, 201], `${w.key} (${w.answer}) retried: ${res.status} ${text.slice(0, 300)}`).toContain(res.status);
      if (w.answer === 200 || w.answer === 201) {
        expect(res.status, `${w.key} replays its answer`).toBe(w.answer);
        expect(res.headers.get('idempotent-replayed'), w.key).toBe('true');
      }
    }

    // Every revision whole: 1..head with no gap, each one's recorded changes all in its history, a group's three objects changed together.
    const revisions: { revision: number; changes: { kind: string; namespace: string; name: string }[]; changesTotal?: number }[] = [];
    for (let page = await api('/api/v1/revisions?limit=100'); page.items.length; page = await api(`/api/v1/revisions?limit=100&before=${page.items.at(-1).revision}`)) revisions.push(...page.items);
    const head = revisions[0]!.revision;
    expect(revisions.map((r) => r.revision).sort((a, b) => a - b)).toEqual(Array.from({ length: head }, (_, i) => i + 1));
    for (const r of revisions) {
      const { diff } = await api(`/api/v1/revisions/${r.revision}`);
      expect(diff.errors, `revision ${r.revision} renders`).toBeUndefined();
      expect(diff.counts.intents, `revision ${r.revision}: its changes are all in object_history`).toBe(r.changesTotal ?? r.changes.length);
      const named = (list: { kind: string; namespace: string; name: string }[]) => list.map((c) => `${c.kind}/${c.namespace}/${c.name}`).sort();
      if (!diff.truncated && r.changesTotal === undefined) expect(named(diff.intents), `revision ${r.revision}: history and change list agree`).toEqual(named(r.changes));
      const touched = new Map<string, number>();
      for (const change of diff.intents as { kind: string; namespace: string; name: string }[]) {
        if (change.name.startsWith('svc-')) touched.set(change.name, (touched.get(change.name) ?? 0) + 1);
      }
      for (const [name, n] of touched) expect(n, `revision ${r.revision} changed ${name}'s mesh whole`).toBe(3);
    }

    // The stored objects: each group's three carry one gen (no write landed half).
    const stored = new Map<string, any>();
    for (const plural of ['serviceentries', 'destinationrules', 'virtualservices']) for (const o of (await api(`/api/v1/namespaces/${NS}/${plural}`)).items) stored.set(`${o.kind}/${o.metadata.name}`, o);
    const groups = [...stored.values()].filter((o) => o.metadata.name.startsWith('svc-'));
    expect(groups.length % 3).toBe(0);
    for (let g = 0; g < GROUPS; g++) {
      const gens = new Set(groups.filter((o) => o.metadata.name === `svc-${g}`).map((o) => o.metadata.annotations['crash.test/gen']));
      expect(gens.size, `svc-${g}: ${[...gens].join(', ')}`).toBeLessThanOrEqual(1);
    }

    // What is served is the head revision's config: it decodes with Envoy's protos and matches the objects.
    const poll = async (type: ResourceType, names?: string[]) => {
      const res = await fetch(`${base}/v3/discovery:${type}`, {
        method: 'POST',
        headers: { host: 'xds_cluster', 'content-type': 'application/json', authorization: `Bearer ${token()}` },
        body: JSON.stringify({ node: { id: 'crash-checker', cluster: 'test', user_agent_name: 'envoy' }, type_url: RESOURCE_TYPES[type], ...(names ? { resource_names: names } : {}) }),
      });
      expect(res.status, type).toBe(200);
      expect(res.headers.get('x-xdsflare-revision'), `${type} is served from the head revision`).toBe(String(head));
      const body = (await res.json()) as { resources: Record<string, any>[] };
      for (const resource of body.resources) envoyRegistry().decodeStrict(resource);
      return body.resources;
    };
    const clusters = new Map((await poll('clusters')).map((c) => [c.name as string, c]));
    const addresses = (o: any, subset: string) => o.spec.endpoints.filter((e: any) => !subset || e.labels?.version === subset).map((e: any) => e.address).sort();
    const expectedEndpoints = new Map<string, string[]>(
      [...stored.values()].filter((o) => o.kind === 'ServiceEntry').flatMap((o) => (o.metadata.name.startsWith('svc-') ? ['', 'v1', 'v2'] : ['']).map((s): [string, string[]] => [`outbound|80|${s}|${o.spec.hosts[0]}`, addresses(o, s)])),
    );
    expect([...clusters.keys()].filter((c) => c.includes(`.${NS}.`)).sort()).toEqual([...expectedEndpoints.keys()].sort());
    // Endpoints inline (STATIC) or over EDS, whichever the cluster says.
    const viaEds = [...expectedEndpoints.keys()].filter((name) => clusters.get(name)!.type === 'EDS');
    const assignments = [...(viaEds.length ? await poll('endpoints', viaEds) : []), ...[...clusters.values()].filter((c) => c.load_assignment).map((c) => c.load_assignment)];
    const served = new Map(assignments.map((a: any) => [a.cluster_name, a.endpoints.flatMap((l: any) => l.lb_endpoints.map((e: any) => e.endpoint.address.socket_address.address)).sort()]));
    for (const [name, want] of expectedEndpoints) expect(served.get(name), `${name}'s endpoints`).toEqual(want);
    const routes = await poll('routes', ['80']);
    const weightsServed = new Map<string, Record<string, number>>();
    for (const vh of routes[0]!.virtual_hosts as { domains: string[]; routes: { route?: unknown }[] }[]) {
      const route = vh.routes[0]?.route as { cluster?: string; weighted_clusters?: { clusters: { name: string; weight: number }[] } } | undefined;
      const weights = route?.weighted_clusters ? Object.fromEntries(route.weighted_clusters.clusters.map((c) => [c.name, c.weight])) : route?.cluster ? { [route.cluster]: 100 } : {};
      for (const domain of vh.domains) weightsServed.set(domain, weights);
    }
    for (const vs of [...stored.values()].filter((o) => o.kind === 'VirtualService')) {
      const h = vs.spec.hosts[0];
      const want = Object.fromEntries(vs.spec.http[0].route.filter((r: { weight: number }) => r.weight > 0).map((r: { destination: { subset: string }; weight: number }) => [`outbound|80|${r.destination.subset}|${h}`, r.weight]));
      const served = Object.fromEntries(Object.entries(weightsServed.get(h) ?? {}).filter(([, w]) => w > 0));
      expect(served, `${h} is routed as its VirtualService says`).toEqual(want);
    }
  }, 600_000);
});
