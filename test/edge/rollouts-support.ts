import { env, runDurableObjectAlarm } from 'cloudflare:test';
import { RESOURCE_TYPES } from '../../xds';
import type { RolloutDriver } from '../../functions/rollouts/driver';
import { apply, callJson } from './helpers';

type Json = Record<string, any>;
const TYPES = [RESOURCE_TYPES.clusters, RESOURCE_TYPES.endpoints, RESOURCE_TYPES.listeners, RESOURCE_TYPES.routes];

export const host = (ns: string) => `reviews.${ns}.svc.cluster.local`;

/** reviews with subsets v1, v2 and v3; its VirtualService's route `primary` all on v1 (or as given). */
export const mesh = (ns: string, route = `[{destination: {host: ${host(ns)}, subset: v1}, weight: 100}]`) => `
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: reviews, namespace: ${ns}}
spec:
  hosts: [${host(ns)}]
  location: MESH_INTERNAL
  resolution: STATIC
  ports: [{number: 9080, name: http, protocol: HTTP}]
  endpoints:
  - {address: 10.0.0.1, labels: {version: v1}}
  - {address: 10.0.0.2, labels: {version: v2}}
  - {address: 10.0.0.3, labels: {version: v3}}
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: reviews, namespace: ${ns}}
spec:
  host: ${host(ns)}
  subsets:
  - {name: v1, labels: {version: v1}}
  - {name: v2, labels: {version: v2}}
  - {name: v3, labels: {version: v3}}
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: reviews, namespace: ${ns}}
spec:
  hosts: [${host(ns)}]
  http:
  - name: primary
    route: ${route}
`;

/** A fresh namespace with the mesh applied. */
export async function setUp(prefix: string): Promise<string> {
  const ns = `${prefix}-${crypto.randomUUID().slice(0, 8)}`;
  const res = await apply(mesh(ns));
  if (res.status !== 201) throw new Error(`apply: ${JSON.stringify(res.body)}`);
  return ns;
}

/** A rollout request from v1 to v2 on `primary`, no pause (steps advance as soon as they converge). */
export const request = (ns: string, extra: Json = {}) => ({
  name: 'reviews-v2',
  virtualService: { namespace: ns, name: 'reviews' },
  route: 'primary',
  stable: { host: host(ns), subset: 'v1' },
  candidate: { host: host(ns), subset: 'v2' },
  steps: [10, 50, 100],
  pauseSeconds: 0,
  ...extra,
});

export const start = (body: unknown, headers: Record<string, string> = {}) => callJson('POST', '/api/v1/rollouts', { body: body as object, headers });
export const read = async (id: number) => (await callJson('GET', `/api/v1/rollouts/${id}`)).body;
export const act = (id: number, action: string, body?: object) => callJson('POST', `/api/v1/rollouts/${id}/${action}`, body ? { body } : {});

/** The rollout's Durable Object, typed as its class (the Env binding is untyped) for runInDurableObject. */
export const driver = (id: number) => env.ROLLOUTS.get(env.ROLLOUTS.idFromName(String(id))) as DurableObjectStub<RolloutDriver>;
/** Runs the rollout's pending alarm now (true when there was one). */
export const runAlarm = (id: number) => runDurableObjectAlarm(driver(id));

/** The route `primary` as revision n left it (object_history holds each object as of each revision that touched it). */
export async function routeAt(ns: string, revision: number): Promise<Json[]> {
  const row = await env.DB.prepare("select object from object_history where kind = 'VirtualService' and namespace = ? and name = 'reviews' and revision <= ? order by revision desc limit 1")
    .bind(ns, revision)
    .first<{ object: string }>();
  return JSON.parse(row!.object).spec.http.find((r: Json) => r.name === 'primary').route;
}

/** Weights of the route at revision n as {subset: weight}. */
export const weightsAt = async (ns: string, revision: number) => Object.fromEntries((await routeAt(ns, revision)).map((d) => [d.destination.subset, d.weight]));

/** Revisions the rollout committed, in order, with their source.step. */
export async function revisionsOf(id: number): Promise<{ id: number; step: string; author: string; source: Json }[]> {
  const { results } = await env.DB.prepare("select id, author, source from revisions where json_extract(source, '$.rollout') = ? order by id").bind(String(id)).all<{ id: number; author: string; source: string }>();
  return results.map((r) => ({ id: r.id, author: r.author, source: JSON.parse(r.source), step: JSON.parse(r.source).step }));
}

/** A bridge reports its clients: each entry is a node that ACKed (or NACKed) what it was served from `revision`. */
export async function report(proxies: { node: string; revision: number; nack?: string; lastSeen?: string }[]) {
  const body = {
    bridge: 'bridge-test',
    proxies: proxies.map(({ node, revision, nack, lastSeen }) => ({
      node_id: node,
      view: 'grpc|mesh',
      last_seen: lastSeen ?? new Date().toISOString(),
      types: Object.fromEntries(
        TYPES.map((t) => {
          const rejected = nack && t === RESOURCE_TYPES.routes;
          return [t, { acked: rejected ? 'old' : `v${revision}`, served: `v${revision}`, served_revision: revision, nack: rejected ? { version: `v${revision}`, message: nack } : null }];
        }),
      ),
    })),
  };
  const res = await callJson('POST', '/api/v1/proxies/status', { body, contentType: 'application/json' });
  if (res.status !== 204) throw new Error(`report: ${res.status} ${JSON.stringify(res.body)}`);
}
