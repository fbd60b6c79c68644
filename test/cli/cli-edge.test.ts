import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { envoyRegistry } from '../support/envoy-registry';
import { adminToken, buildCli, freePort, pollClusters, runCli, startAckingPoller, type CliOptions } from './cli-fixtures';
import { startEdge, type RunningEdge } from '../support/start-server';

// The built CLI as a child process against `npm start`'s edge (no bridge): what a pipeline sees,
// exit codes first.

let edge: RunningEdge;
let env: Record<string, string>;
let dir: string;
const cli = (args: string[], options: CliOptions = {}) => runCli(args, { ...options, env: { ...env, ...options.env } });
const api = async (path: string) => (await fetch(`${edge.base}${path}`, { headers: { authorization: `Bearer ${env.XDSFLARE_TOKEN}` } })).json() as Promise<any>;

const services = `
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: reviews, namespace: clitest, labels: {owner: cli-test}}
spec:
  hosts: [reviews.clitest.svc.cluster.local]
  location: MESH_INTERNAL
  resolution: STATIC
  ports: [{number: 9080, name: http, protocol: HTTP}]
  endpoints:
  - {address: 10.1.0.1, labels: {version: v1}}
  - {address: 10.1.0.2, labels: {version: v2}}
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: reviews, namespace: clitest, labels: {owner: cli-test}}
spec:
  host: reviews.clitest.svc.cluster.local
  subsets: [{name: v1, labels: {version: v1}}, {name: v2, labels: {version: v2}}]
`;
const routing = (v1: number, v2: number) => `
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: reviews, namespace: clitest, labels: {owner: cli-test}}
spec:
  hosts: [reviews.clitest.svc.cluster.local]
  http:
  - name: primary
    route:
    - {destination: {host: reviews.clitest.svc.cluster.local, subset: v1}, weight: ${v1}}
    - {destination: {host: reviews.clitest.svc.cluster.local, subset: v2}, weight: ${v2}}
`;

beforeAll(async () => {
  buildCli();
  edge = await startEdge(await freePort(), { env: { XDSFLARE_NO_BRIDGE: '1' } });
  env = { XDSFLARE_SERVER: edge.base, XDSFLARE_TOKEN: adminToken() };
  dir = mkdtempSync(join(tmpdir(), 'xdsflare-cli-'));
  mkdirSync(join(dir, 'mesh', 'routing'), { recursive: true });
  writeFileSync(join(dir, 'mesh', 'services.yaml'), services);
  writeFileSync(join(dir, 'mesh', 'routing', 'reviews.yaml'), routing(90, 10));
  writeFileSync(join(dir, 'step.yaml'), routing(75, 25));
}, 120_000);
afterAll(() => edge?.stop());

describe('xdsflare apply, get and dry runs', () => {
  it('applies a directory recursively as one revision, with CI identifiers on it', async () => {
    const r = await cli(['apply', '-f', join(dir, 'mesh')], { env: { GITHUB_ACTIONS: 'true', GITHUB_RUN_ID: '4242', GITHUB_REPOSITORY: 'acme/shop', GITHUB_WORKFLOW: 'deploy', GITHUB_SHA: 'c0ffee' } });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('ServiceEntry clitest/reviews created');
    expect(r.stdout).toContain('VirtualService clitest/reviews created');
    const revision = Number(/revision (\d+) committed/.exec(r.stdout)?.[1]);
    const { items } = await api('/api/v1/revisions?limit=1');
    expect(items[0]).toMatchObject({ revision, source: { ciRunId: '4242', ciPipeline: 'acme/shop/deploy', ciCommit: 'c0ffee', userAgent: expect.stringMatching(/^xdsflare-cli\//) } });
  });

  it('gets objects as a table, as YAML and as the server\'s JSON', async () => {
    const list = await cli(['get', 'vs', '-n', 'clitest']);
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(/NAMESPACE\s+NAME\s+HOSTS/);
    expect(list.stdout).toMatch(/clitest\s+reviews\s+reviews\.clitest\.svc\.cluster\.local/);
    const one = await cli(['get', 'VirtualService', 'reviews', '-n', 'clitest']);
    expect(parse(one.stdout).spec.http[0].route[0].weight).toBe(90);
    const json = await cli(['get', 'virtualservices', 'reviews', '-n', 'clitest', '-o', 'json']);
    expect(JSON.parse(json.stdout)).toMatchObject({ kind: 'VirtualService', metadata: { name: 'reviews', namespace: 'clitest' } });
    const all = await cli(['get', 'serviceentries', '-o', 'json']);
    expect(JSON.parse(all.stdout).items.map((o: any) => o.metadata.name)).toContain('reviews');
  });

  it('shows a dry run as the diff of intents and of rendered Envoy resources, storing nothing', async () => {
    const before = (await api('/api/v1/revisions?limit=1')).items[0].revision;
    const r = await cli(['apply', '--dry-run', '-f', join(dir, 'mesh', 'services.yaml'), '-f', join(dir, 'step.yaml')]);
    // As kubectl diff: 1, something would change.
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('~ VirtualService clitest/reviews (updated)');
    expect(r.stdout).toContain('/spec/http/0/route/0/weight: 90 → 75');
    expect(r.stdout).toContain('/spec/http/0/route/1/weight: 10 → 25');
    expect(r.stdout).toContain('2 unchanged');
    // The weights live in the route configuration: it changes, the clusters do not.
    expect(r.stdout).toMatch(/view envoy\|mesh: 0 added, 1 changed, 0 removed\n\s+~ routes 9080/);
    expect(r.stdout).not.toMatch(/[+~-] clusters/);
    expect((await api('/api/v1/revisions?limit=1')).items[0].revision).toBe(before);

    const json = await cli(['apply', '--dry-run', '-o', 'json', '-f', join(dir, 'step.yaml')]);
    expect(json.code).toBe(1);
    expect(JSON.parse(json.stdout)).toMatchObject({ dryRun: true, committed: false, changes: [{ kind: 'VirtualService', op: 'updated' }] });
  });

  it('applies -n as kubectl does: objects that name no namespace land in it, short hosts resolve there, another namespace is refused', async () => {
    // As Istio's task pages run bookinfo's rules: `kubectl apply -n bookinfo -f ...`, no namespace in the files, short hosts.
    const manifest = (weight: number) => `${services.replaceAll('namespace: clitest, ', '').replaceAll('clitest', 'nsflag')}---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: reviews}
spec:
  hosts: [reviews]
  http:
  - route:
    - {destination: {host: reviews, subset: v1}, weight: ${weight}}
    - {destination: {host: reviews, subset: v2}, weight: ${100 - weight}}
`;
    writeFileSync(join(dir, 'ns-flag.yaml'), manifest(70));
    const r = await cli(['apply', '-n', 'nsflag', '-f', join(dir, 'ns-flag.yaml')]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('VirtualService nsflag/reviews created');
    // What a proxy would get (a config dump, not a poll: a polling proxy would join the later status tests).
    const dump = await api('/api/v1/config_dump?labels=app=any');
    expect(dump.configs.clusters.resources.map((c: any) => c.name)).toContain('outbound|9080|v2|reviews.nsflag.svc.cluster.local');
    expect((await api('/api/v1/namespaces/nsflag/virtualservices/reviews')).spec.hosts).toEqual(['reviews']);

    writeFileSync(join(dir, 'ns-flag.yaml'), manifest(60));
    const dry = await cli(['apply', '-n', 'nsflag', '--dry-run', '-f', join(dir, 'ns-flag.yaml')]);
    expect(dry.code).toBe(1);
    expect(dry.stdout).toContain('~ VirtualService nsflag/reviews (updated)');
    expect(dry.stdout).toContain('/spec/http/0/route/0/weight: 70 → 60');
    expect(dry.stdout).toContain('2 unchanged');

    const other = await cli(['apply', '-n', 'elsewhere', '-f', join(dir, 'mesh', 'services.yaml')]);
    expect(other.code).toBe(3);
    expect(other.stderr).toContain('[0].metadata.namespace');
    expect(other.stderr).toContain('namespace "clitest" does not match the namespace "elsewhere"');
  });

  it('reads a manifest from stdin', async () => {
    const r = await cli(['apply', '--dry-run', '-o', 'json', '-f', '-'], { input: routing(90, 10) });
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).changes).toEqual([{ kind: 'VirtualService', namespace: 'clitest', name: 'reviews', op: 'unchanged' }]);
  });
});

describe('xdsflare exit codes', () => {
  it('3 for a refused manifest, with the field path and the file and document it came from', async () => {
    writeFileSync(join(dir, 'bad.yaml'), `${services}---\n${routing(90, 10).replace('weight: 90', 'weight: -5')}`);
    const r = await cli(['apply', '-f', join(dir, 'bad.yaml')]);
    expect(r.code).toBe(3);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('Bad Request (400)');
    expect(r.stderr).toContain(`[2].spec.http[0].route[0].weight (${join(dir, 'bad.yaml')}, document 3, VirtualService reviews)`);
  });

  it('3 for a reference the config cannot resolve (409)', async () => {
    const r = await cli(['apply', '-f', '-'], { input: routing(90, 10).replace('subset: v2', 'subset: v3') });
    expect(r.code).toBe(3);
    expect(r.stderr).toContain('Conflict (409)');
    expect(r.stderr).toContain('spec.http[0].route[1].destination.subset');
  });

  it('6 for a bad token, 7 for a missing object, 2 for a usage mistake', async () => {
    expect((await cli(['get', 'vs', '--token', 'not-a-token'])).code).toBe(6);
    const missing = await cli(['get', 'vs', 'nope', '-n', 'clitest']);
    expect(missing.code).toBe(7);
    expect(missing.stderr).toContain('Not Found (404)');
    const usage = await cli(['apply', '--prune', '-f', join(dir, 'step.yaml')]);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toContain('--prune needs -l');
    expect((await cli(['status', '--wait', '10'])).code).toBe(2);
  });

  it('1 when the edge cannot be reached', async () => {
    const r = await cli(['get', 'vs'], { env: { XDSFLARE_SERVER: 'http://127.0.0.1:9' } });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('cannot reach http://127.0.0.1:9');
  }, 30_000);
});

describe('xdsflare status', () => {
  /** Until the edge's status (flushed every few seconds) shows what `ok` wants. */
  const statusUntil = async (ok: (s: any) => boolean) => {
    for (let i = 0; i < 80; i++) {
      const { items } = await api('/api/v1/revisions?limit=1');
      const s = await api(`/api/v1/revisions/${items[0].revision}/status`);
      if (ok(s)) return s;
      await new Promise((r) => setTimeout(r, 250));
    }
    throw new Error('status never got there');
  };

  it('5 when a proxy was served the revision but never acknowledges it; 4 once it keeps polling with the old version', async () => {
    const served = await pollClusters(edge.base, 'cli-stuck', '');
    // Another proxy that acknowledges everything keeps the edge flushing its status.
    const other = startAckingPoller(edge.base, 'cli-acking');
    try {
      await statusUntil((s) => s.proxies.some((p: any) => p.node_id === 'cli-stuck' && p.state === 'pending'));
      const look = await cli(['status']);
      expect(look.code).toBe(0);
      expect(look.stdout).toMatch(/pending\s+cli-stuck/);

      const waited = await cli(['status', 'head', '--wait', '2s']);
      expect(waited.code).toBe(5);
      expect(waited.stderr).toContain('timed out');

      for (let i = 0; i < 3; i++) expect(await pollClusters(edge.base, 'cli-stuck', '')).toBe(served);
      await statusUntil((s) => s.phase === 'rejected');
      const rejected = await cli(['status', '--wait', '5s']);
      expect(rejected.code).toBe(4);
      expect(rejected.stdout).toMatch(/rejected\s+cli-stuck/);
      expect(rejected.stdout).toContain('(inferred');

      const json = await cli(['status', '-o', 'json']);
      expect(json.code).toBe(4);
      expect(JSON.parse(json.stdout)).toMatchObject({ phase: 'rejected', counts: { rejected: 1 } });

      // It accepts the version at last: converged.
      await pollClusters(edge.base, 'cli-stuck', served);
      await statusUntil((s) => s.phase !== 'rejected');
      const converged = await cli(['status', '--wait', '30s']);
      expect(converged.stdout).toMatch(/converged — 2 converged, 0 rejected, 0 pending/);
      expect(converged.code).toBe(0);
    } finally {
      await other.stop();
    }
  }, 90_000);

  it('apply --wait and rollback --wait return once every proxy has the new revision', async () => {
    const pollers = ['cli-stuck', 'cli-acking'].map((id) => startAckingPoller(edge.base, id));
    try {
      const first = (await api('/api/v1/revisions?limit=1')).items[0].revision;
      const applied = await cli(['apply', '-f', join(dir, 'step.yaml'), '--wait', '60s']);
      expect(applied.stderr).toBe('');
      expect(applied.code).toBe(0);
      expect(applied.stdout).toMatch(/revision (\d+) committed\nrevision \1: converged — 2 converged/);

      const rollback = await cli(['rollback', String(first), '--wait']);
      expect(rollback.code).toBe(0);
      expect(rollback.stdout).toContain(`the objects as of revision ${first}`);
      expect(rollback.stdout).toMatch(/converged — 2 converged/);
      expect((await api('/api/v1/namespaces/clitest/virtualservices/reviews')).spec.http[0].route[0].weight).toBe(90);
    } finally {
      await Promise.all(pollers.map((p) => p.stop()));
    }
  }, 90_000);

  it('7 for the status of a revision that does not exist', async () => {
    expect((await cli(['status', '99999'])).code).toBe(7);
  });
});

describe('xdsflare get revisions and proxies', () => {
  it('lists revisions and shows one with its changes', async () => {
    const list = await cli(['get', 'revisions']);
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(/REVISION\s+AGE\s+AUTHOR/);
    expect(list.stdout).toContain('acme/shop/deploy run 4242 c0ffee');
    const { items } = JSON.parse((await cli(['get', 'revisions', '-o', 'json'])).stdout);
    const rollback = items[0];
    const one = await cli(['get', 'revision', String(rollback.revision)]);
    expect(one.code).toBe(0);
    expect(one.stdout).toContain(`revision ${rollback.revision}`);
    expect(one.stdout).toContain('VirtualService clitest/reviews (updated)');
    expect((await cli(['get', 'revision', '99999'])).code).toBe(7);
  });

  it('lists the proxies that polled', async () => {
    const r = await cli(['get', 'proxies']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/cli-stuck\s+envoy\|mesh\s+rest/);
    expect(JSON.parse((await cli(['get', 'proxies', '-o', 'json'])).stdout).items.map((p: any) => p.nodeId)).toEqual(expect.arrayContaining(['cli-stuck', 'cli-acking']));
  });
});

describe('xdsflare bootstrap', () => {
  const decodeBootstrap = (bootstrap: unknown) => envoyRegistry().decodeStrict({ '@type': 'type.googleapis.com/envoy.config.bootstrap.v3.Bootstrap', ...(bootstrap as object) });

  it('prints a REST bootstrap that decodes strictly as Envoy\'s Bootstrap, polling this edge', async () => {
    const r = await cli(['bootstrap', '--node', 'cli-envoy', '--mode', 'rest', '--label', 'app=web']);
    expect(r.code).toBe(0);
    const bootstrap = parse(r.stdout);
    decodeBootstrap(bootstrap);
    expect(bootstrap.node).toMatchObject({ id: 'cli-envoy' });
    expect(JSON.stringify(bootstrap)).toContain(String(edge.port));
  });

  it('prints the edge\'s JSON with -o json and writes a file with -o <file>', async () => {
    const json = await cli(['bootstrap', '--node', 'cli-envoy', '--mode', 'ads', '-o', 'json']);
    expect(json.code).toBe(0);
    decodeBootstrap(JSON.parse(json.stdout));
    const out = join(dir, 'envoy.yaml');
    const file = await cli(['bootstrap', '--node', 'cli-envoy', '--mode', 'file', '--dir', join(dir, 'xds'), '-o', out]);
    expect(file.code).toBe(0);
    decodeBootstrap(parse(readFileSync(out, 'utf8')));
  });

  it('3 for a parameter the edge refuses, naming it', async () => {
    const r = await cli(['bootstrap', '--node', 'cli-envoy', '--mode', 'rest', '--label', 'bad key=x']);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain('label[0]');
  });
});

describe('xdsflare export', () => {
  it('writes the node\'s view as files for Envoy\'s filesystem subscription, unchanged ones left alone', async () => {
    const out = join(dir, 'export');
    const first = await cli(['export', '--node', 'cli-file-envoy', '--dir', out]);
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    const written = [...first.stdout.matchAll(/^wrote (\S+)$/gm)].map((m) => m[1]!);
    // Endpoints and routes before the clusters and listeners that reference them.
    expect(written.indexOf('cds.json')).toBeGreaterThan(written.findLastIndex((n) => n.startsWith('eds/')));
    expect(written.indexOf('lds.json')).toBeGreaterThan(written.findLastIndex((n) => n.startsWith('rds/')));
    const cds = JSON.parse(readFileSync(join(out, 'cds.json'), 'utf8'));
    expect(cds.resources.map((r: any) => r.name)).toContain('outbound|9080|v1|reviews.clitest.svc.cluster.local');
    for (const r of cds.resources) envoyRegistry().decodeStrict(r);

    const again = await cli(['export', '--node', 'cli-file-envoy', '--dir', out]);
    expect(again.stdout).toContain(`${written.length} unchanged`);
    const json = await cli(['export', '--node', 'cli-file-envoy', '--dir', out, '-o', 'json']);
    // What was written, never the files themselves (sds/ files hold private keys; CI logs keep stdout).
    const printed = JSON.parse(json.stdout);
    expect(printed.unchanged).toEqual(written);
    expect(printed).not.toHaveProperty('files');
  });

  it('2 without --dir', async () => {
    expect((await cli(['export', '--node', 'n'])).code).toBe(2);
  });
});

