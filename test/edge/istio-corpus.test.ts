/// <reference types="vite/client" />
import { describe, expect, it } from 'vitest';
import { clustersOfRouteConfig, parseManifest, routeConfigNamesOf, tcpClustersOf } from '../../xds';
import { apply, call, callJson, envoy, poll } from './helpers';
import { SECRET_YAML } from './tls-manifests';

// Issue 12's corpus: Istio's own samples/**/networking manifests (istio/istio) and the networking YAML of
// istio.io's traffic-management task pages, copied into test/corpus/istio/ with their origin in a header
// (SOURCES.txt lists each file's repository, path, commit and snippet), applied
// unchanged over the API on top of services.yaml (ServiceEntries standing in for the Kubernetes Services
// they assume). Each file is one request (documents in a file depend on each other: a VirtualService on the
// DestinationRule or Gateway beside it), on top of the files its `# corpus-baseline:` header names (what the
// page or sample README applies first, e.g. bookinfo's destination-rule-all.yaml before the
// virtual-service-*.yaml), in the namespace its `# corpus-namespace:` header names (kubectl apply -n; else
// default); afterwards the config is rolled back to the revision after services.yaml, so files that define
// the same objects do not collide. A refused file is retried without the documents its errors name, so each
// document is counted on its own: accepted (and then every view it renders decodes strictly against Envoy's
// protos and is consistent), refused naming a field (errors[].path), or refused without one (a failure).
// Documents of other kinds (Kubernetes, Gateway API) are counted apart and left out of the denominator.

type Json = Record<string, any>;

const FILES = import.meta.glob('../corpus/istio/*.yaml', { query: '?raw', import: 'default', eager: true }) as Record<string, string>;
const nameOf = (path: string) => path.slice(path.lastIndexOf('/') + 1);
const corpus = new Map(Object.entries(FILES).map(([path, text]) => [nameOf(path), text]));
const SERVICES = 'services.yaml';

const SUPPORTED = new Set(['ServiceEntry', 'DestinationRule', 'VirtualService', 'Gateway', 'EnvoyFilter', 'Sidecar']);
const isSupported = (doc: Json) => typeof doc.apiVersion === 'string' && doc.apiVersion.startsWith('networking.istio.io/') && SUPPORTED.has(doc.kind);

const header = (text: string, key: string) => text.match(new RegExp(`^# corpus-${key}: (.+)$`, 'm'))?.[1]?.trim();

interface Doc {
  file: string;
  index: number; // in the file
  doc: Json;
  key: string; // Kind/namespace/name, as errors[].object names it
}
interface Refusal {
  doc: Doc;
  status: number;
  errors: Json[];
}

function docsOf(file: string) {
  const text = corpus.get(file);
  if (text === undefined) throw new Error(`${file} is named as a baseline but is not in test/corpus/istio`);
  const parsed = parseManifest(text, 'application/yaml');
  if (!parsed.ok) throw new Error(`${file} does not parse: ${JSON.stringify(parsed.errors)}`);
  const namespace = header(text, 'namespace');
  const docs: Doc[] = [];
  const skipped: Json[] = [];
  parsed.documents.forEach((raw, index) => {
    const doc = raw as Json;
    if (!isSupported(doc)) return void skipped.push(doc);
    const ns = doc.metadata?.namespace ?? namespace ?? 'default';
    docs.push({ file, index, doc, key: `${doc.kind}/${ns}/${doc.metadata?.name}` });
  });
  return { text, docs, skipped, namespace, baseline: header(text, 'baseline')?.split(/\s+/) ?? [], allSupported: skipped.length === 0 };
}

/**
 * Applies a file's supported documents; a refusal is narrowed to the documents its errors name (by
 * errors[].object, or the `[i]` of errors[].path) and the rest applied again, until something is stored or
 * nothing is left. The body is the file's own YAML when it is whole, else a JSON list of the documents left.
 */
async function applyFile(file: string) {
  const { text, docs, namespace, allSupported } = docsOf(file);
  const query = namespace ? `?namespace=${namespace}` : '';
  let left = docs;
  const refused: Refusal[] = [];
  let revision: number | undefined;
  let warnings = 0;
  while (left.length) {
    const body = left === docs && allSupported ? text : left.map((d) => d.doc);
    const res = await apply(body, query);
    if (res.status === 201 || res.status === 200) {
      revision = res.body.revision;
      warnings = res.body.warnings?.length ?? 0;
      break;
    }
    const errors: Json[] = res.body?.errors ?? [{ message: `status ${res.status} without errors[]: ${JSON.stringify(res.body)}` }];
    const blamed = new Map<Doc, Json[]>();
    for (const e of errors) {
      const at = typeof e.path === 'string' ? e.path.match(/^\[(\d+)\]/) : null;
      const doc = e.object ? left.find((d) => d.key === e.object) : at ? left[Number(at[1])] : undefined;
      if (doc) blamed.set(doc, [...(blamed.get(doc) ?? []), e]);
    }
    if (!blamed.size) {
      // Nothing in this request is named: every document left is refused with these errors.
      for (const doc of left) refused.push({ doc, status: res.status, errors });
      left = [];
      break;
    }
    for (const [doc, errs] of blamed) refused.push({ doc, status: res.status, errors: errs });
    left = left.filter((d) => !blamed.has(d));
  }
  return { accepted: revision !== undefined ? left : [], refused, revision, warnings };
}

const sidecarNode = (ns: string) => ({ id: `sidecar~${ns}`, cluster: 'corpus', user_agent_name: 'envoy', metadata: { NAMESPACE: ns, labels: {} } });
const gatewayNode = (labels: Record<string, string>) => ({ id: `gateway~${Object.values(labels).join('.')}`, cluster: 'corpus', user_agent_name: 'envoy', metadata: { NAMESPACE: 'istio-system', labels } });

/** CDS, LDS and the RDS its listeners name, for one node: each resource strictly decoded, references checked. */
let decoded = 0;
let views = 0;
async function renderProblems(node: Json): Promise<string[]> {
  const problems: string[] = [];
  views++;
  const who = node.id as string;
  const fetchType = async (type: 'clusters' | 'listeners' | 'routes', names?: string[]) => {
    const res = await poll(type, { node, ...(names ? { names } : {}) });
    if (res.status !== 200) {
      problems.push(`${who}: ${type} poll answered ${res.status}`);
      return [];
    }
    for (const r of res.body!.resources) {
      try {
        envoy().decodeStrict(r);
        decoded++;
      } catch (e) {
        problems.push(`${who}: ${type} ${r.name ?? r.cluster_name} does not decode: ${(e as Error).message}`);
      }
    }
    return res.body!.resources;
  };
  const clusters = new Set((await fetchType('clusters')).map((c) => c.name as string));
  const listeners = await fetchType('listeners');
  const routeNames = [...new Set(listeners.flatMap((l) => routeConfigNamesOf(l)))].sort();
  const routes = routeNames.length ? await fetchType('routes', routeNames) : [];
  const gotRoutes = new Set(routes.map((r) => r.name as string));
  for (const name of routeNames) if (!gotRoutes.has(name)) problems.push(`${who}: route config ${name} a listener uses was not served`);
  for (const l of listeners) for (const c of tcpClustersOf(l)) if (!clusters.has(c)) problems.push(`${who}: listener ${l.name} proxies to cluster ${c}, which CDS lacks`);
  for (const r of routes) for (const c of clustersOfRouteConfig(r)) if (!clusters.has(c)) problems.push(`${who}: route config ${r.name} routes to cluster ${c}, which CDS lacks`);
  return problems;
}

/** The proxies a file's config reaches: sidecars in every namespace it touches, gateways by every selector. */
function nodesFor(docs: Doc[]) {
  const namespaces = new Set(['default', ...docs.map((d) => d.key.split('/')[1]!)]);
  const selectors = new Map<string, Record<string, string>>();
  for (const { doc } of docs) {
    const labels = doc.kind === 'Gateway' ? doc.spec?.selector : doc.kind === 'EnvoyFilter' ? doc.spec?.workloadSelector?.labels : undefined;
    if (labels && Object.keys(labels).length) selectors.set(JSON.stringify(labels), labels);
  }
  return [...[...namespaces].map(sidecarNode), ...[...selectors.values()].map(gatewayNode)];
}

const normalizePath = (path: string) => path.replace(/^\[\d+\]\.?/, '').replace(/\[\d+\]/g, '[]');

describe("Istio's corpus (issue 12): samples and traffic-management task pages, applied unchanged", () => {
  it('accepts at least 95% of the documents of supported kinds, renders them strictly decodable and consistent, and names a field in every refusal', { timeout: 600_000 }, async () => {
    const files = [...corpus.keys()].filter((f) => f !== SERVICES).sort();
    expect(files.length, 'test/corpus/istio holds no corpus files besides services.yaml: copy them in as SOURCES.txt lists').toBeGreaterThan(0);

    // The setup the pages make before any Istio object: the TLS Secrets they create with kubectl (secure
    // ingress: httpbin-credential, helloworld-credential; egress mTLS origination: client-credential), all
    // in istio-system as the pages create them; then the Services.
    for (const name of ['httpbin-credential', 'helloworld-credential', 'client-credential']) {
      const put = await call('PUT', `/api/v1/namespaces/istio-system/secrets/${name}`, { body: SECRET_YAML(name, 'istio-system') });
      expect(put.status, await put.text()).toBe(201);
    }
    const services = await apply(corpus.get(SERVICES)!);
    expect(services.status, JSON.stringify(services.body)).toBe(201);
    const base: number = services.body.revision;

    const byKind = new Map<string, { total: number; accepted: number }>();
    const skippedKinds = new Map<string, string[]>();
    const refusals: Refusal[] = [];
    const renderFailures: { file: string; problems: string[] }[] = [];
    const baselineFailures: string[] = [];
    let accepted = 0;

    for (const file of files) {
      const { docs, skipped, baseline } = docsOf(file);
      for (const s of skipped) {
        const k = `${s.kind ?? '(no kind)'} (${s.apiVersion ?? 'no apiVersion'})`;
        skippedKinds.set(k, [...(skippedKinds.get(k) ?? []), file]);
      }
      let changed = false;
      const baseDocs: Doc[] = [];
      for (const b of baseline) {
        const r = await applyFile(b);
        if (r.revision !== undefined) changed = true;
        if (r.refused.length) baselineFailures.push(`${file}: baseline ${b} had ${r.refused.length} refused document(s)`);
        baseDocs.push(...r.accepted);
      }
      const result = await applyFile(file);
      if (result.revision !== undefined) changed = true;
      for (const d of docs) {
        const k = byKind.get(d.doc.kind) ?? { total: 0, accepted: 0 };
        k.total++;
        if (result.accepted.some((a) => a.index === d.index)) k.accepted++;
        byKind.set(d.doc.kind, k);
      }
      accepted += result.accepted.length;
      refusals.push(...result.refused);
      if (result.accepted.length) {
        const problems: string[] = [];
        for (const node of nodesFor([...baseDocs, ...result.accepted])) problems.push(...(await renderProblems(node)));
        if (problems.length) renderFailures.push({ file, problems });
      }
      if (changed) {
        const back = await callJson('POST', `/api/v1/revisions/${base}/rollback`);
        expect(back.status, `rollback after ${file}: ${JSON.stringify(back.body)}`).toBeLessThan(300);
      }
    }

    // The report: counts, then refusals grouped by reason (field path and message).
    const total = [...byKind.values()].reduce((n, k) => n + k.total, 0);
    const withPath = refusals.filter((r) => r.errors.some((e) => typeof e.path === 'string' && e.path !== ''));
    const withoutPath = refusals.filter((r) => !withPath.includes(r));
    const percent = total ? (100 * accepted) / total : 0;
    const lines: string[] = [];
    lines.push(`Istio corpus: ${files.length} files, ${total} documents of supported kinds, ${accepted} accepted (${percent.toFixed(1)}%), ${withPath.length} refused naming a field, ${withoutPath.length} refused without one`);
    for (const [kind, k] of [...byKind].sort()) lines.push(`  ${kind}: ${k.accepted}/${k.total} accepted`);
    lines.push(`Rendered: ${views} views polled (CDS, LDS, RDS), ${decoded} Envoy resources strictly decoded`);
    lines.push(`Skipped kinds (not in the denominator): ${[...skippedKinds].map(([k, f]) => `${k} ×${f.length}`).join(', ') || 'none'}`);
    const groups = new Map<string, { docs: Set<string>; status: Set<number> }>();
    for (const r of refusals) {
      for (const e of r.errors) {
        const reason = `${r.doc.doc.kind} ${normalizePath(String(e.path ?? '(no path)'))}: ${e.message}`;
        const g = groups.get(reason) ?? { docs: new Set(), status: new Set() };
        g.docs.add(`${r.doc.file}#${r.doc.index} (${r.doc.key})`);
        g.status.add(r.status);
        groups.set(reason, g);
      }
    }
    lines.push('Refusals by reason:');
    for (const [reason, g] of [...groups].sort((a, b) => b[1].docs.size - a[1].docs.size || a[0].localeCompare(b[0]))) {
      lines.push(`  [${g.docs.size} doc(s), HTTP ${[...g.status].join('/')}] ${reason}`);
      for (const d of g.docs) lines.push(`      ${d}`);
    }
    if (baselineFailures.length) lines.push('Baselines with refusals:', ...baselineFailures.map((b) => `  ${b}`));
    if (renderFailures.length) lines.push('Rendered config that failed:', ...renderFailures.flatMap((f) => [`  ${f.file}`, ...f.problems.map((p) => `    ${p}`)]));
    console.log(lines.join('\n'));

    expect(renderFailures, 'every accepted file renders views that decode strictly and are consistent').toEqual([]);
    expect(withoutPath.map((r) => `${r.doc.file}#${r.doc.index}: ${JSON.stringify(r.errors)}`), 'every refusal names a field (errors[].path)').toEqual([]);
    expect(percent, `at least 95% of ${total} supported-kind documents accepted`).toBeGreaterThanOrEqual(95);
  });
});
