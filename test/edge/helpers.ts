import { env, SELF } from 'cloudflare:test';
import { createEnvoyRegistry, RESOURCE_TYPES, type EnvoyRegistry, type ResourceType } from '../../xds';

export const ADMIN = 'test-admin-token';
export const BASE = 'http://edge.test';

export interface CallOptions {
  body?: string | object;
  token?: string | null;
  contentType?: string;
  headers?: Record<string, string>;
}

/** A request to the Worker (through its real fetch handler) with the admin token unless told otherwise. */
export async function call(method: string, path: string, opts: CallOptions = {}): Promise<Response> {
  const headers: Record<string, string> = { ...opts.headers };
  const token = opts.token === undefined ? ADMIN : opts.token;
  if (token) headers.authorization = `Bearer ${token}`;
  let body: string | undefined;
  if (opts.body !== undefined) {
    body = typeof opts.body === 'string' ? opts.body : JSON.stringify(opts.body);
    headers['content-type'] = opts.contentType ?? (typeof opts.body === 'string' ? 'application/yaml' : 'application/json');
  }
  return SELF.fetch(BASE + path, { method, headers, ...(body !== undefined ? { body } : {}) });
}

export async function callJson<T = any>(method: string, path: string, opts: CallOptions = {}): Promise<{ status: number; body: T; headers: Headers }> {
  const res = await call(method, path, opts);
  const text = await res.text();
  return { status: res.status, body: (text ? JSON.parse(text) : undefined) as T, headers: res.headers };
}

export const apply = (manifest: string | object[], query = '') => callJson('POST', `/api/v1/apply${query}`, { body: manifest });

export async function countRows(table: 'revisions' | 'objects' | 'object_history' | 'tokens' | 'proxies'): Promise<number> {
  return (await env.DB.prepare(`select count(*) as n from ${table}`).first<{ n: number }>())!.n;
}

/** A node as Envoy sends it in every REST poll. */
export const envoyNode = (id: string, labels: Record<string, string> = {}) => ({ id, cluster: 'test', user_agent_name: 'envoy', metadata: { labels } });

export interface PollOptions {
  node?: object;
  version?: string;
  names?: string[];
  host?: string;
  token?: string;
  /** 'ads' asks for the ADS form of the view (x-xds-subscriber: ads, as the bridge does): EDS clusters and ClusterLoadAssignments. */
  subscriber?: 'rest' | 'ads';
}

/** One REST xDS poll, shaped exactly like Envoy's (snake_case, sorted names, no nonce). */
export async function poll(type: ResourceType, opts: PollOptions = {}, fetcher: (req: Request) => Promise<Response> = (r) => SELF.fetch(r)) {
  const body: Record<string, unknown> = { node: opts.node ?? envoyNode('sidecar-1'), type_url: RESOURCE_TYPES[type] };
  if (opts.version) body.version_info = opts.version;
  if (opts.names) body.resource_names = [...opts.names].sort();
  const headers: Record<string, string> = { host: opts.host ?? 'xds_cluster', 'content-type': 'application/json' };
  if (opts.token) headers.authorization = `Bearer ${opts.token}`;
  if (opts.subscriber === 'ads') headers['x-xds-subscriber'] = 'ads';
  const res = await fetcher(new Request(`${BASE}/v3/discovery:${type}`, { method: 'POST', headers, body: JSON.stringify(body) }));
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text ? (JSON.parse(text) as { version_info: string; type_url: string; resources: Record<string, any>[] }) : undefined };
}

let registry: EnvoyRegistry | undefined;
/** Envoy's own protos (a data binding of build/envoy-descriptors.binpb), for strict decoding inside workerd. */
export function envoy(): EnvoyRegistry {
  registry ??= createEnvoyRegistry(new Uint8Array(env.ENVOY_DESCRIPTORS));
  return registry;
}

export const REVIEWS = (weights: [number, number] = [80, 20], ns = 'default') => `
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: reviews, namespace: ${ns}, labels: {app: reviews}}
spec:
  hosts: [reviews.${ns}.svc.cluster.local]
  location: MESH_INTERNAL
  resolution: STATIC
  ports: [{number: 9080, name: http, protocol: HTTP}]
  endpoints:
  - {address: 10.0.0.1, labels: {version: v1}}
  - {address: 10.0.0.2, labels: {version: v2}}
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: reviews, namespace: ${ns}, labels: {app: reviews}}
spec:
  host: reviews.${ns}.svc.cluster.local
  subsets:
  - {name: v1, labels: {version: v1}}
  - {name: v2, labels: {version: v2}}
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: reviews, namespace: ${ns}, labels: {app: reviews}}
spec:
  hosts: [reviews.${ns}.svc.cluster.local]
  http:
  - route:
    - {destination: {host: reviews.${ns}.svc.cluster.local, subset: v1}, weight: ${weights[0]}}
    - {destination: {host: reviews.${ns}.svc.cluster.local, subset: v2}, weight: ${weights[1]}}
`;
