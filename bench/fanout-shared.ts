// What both sides of the fan-out benchmark's server share: the IPC messages, the benchmark's config,
// and how a version's delivery is timed (see bench/fanout-server.ts).
import { performance } from 'node:perf_hooks';
import { DELIVERY_ORDER, hashContent, RESOURCE_TYPES, type ResourceType } from '../xds';
import type { ViewSnapshot } from '../gateway/snapshot/types';

export type Mode = 'bridge' | 'floor';

/** What a version changes: one weight and one endpoint (the best case's versions), or one of them. */
export type ChangeKind = 'both' | 'endpoint' | 'weight';

export type ToServer =
  | { cmd: 'start'; mode: Mode; services: number; streams: number; classes: number; descriptors: string }
  | { cmd: 'memory' }
  | { cmd: 'change'; step: number; kind: ChangeKind };

export interface MemoryReading {
  rss: number;
  heapUsed: number;
  /** V8's committed heap: what RSS holds for the heap, used or not. */
  heapTotal: number;
  external: number;
}

/** One version's delivery: milliseconds from hand-over to each stream's last ACK, and per type. */
export interface RoundResult {
  t0Epoch: number;
  perStream: number[];
  perType: Partial<Record<ResourceType, number>>;
  changedTypes: ResourceType[];
  encodes: number;
  changedResources: number;
  pushes: number;
  nacks: number;
  prepareMs: number;
  /** Per node class: encoded bytes (the Anys) of the resources whose content changed in its view. */
  changedBytes: number[];
}

export type FromServer =
  | { event: 'ready'; port: number }
  | { event: 'converged'; ms: number; streams: number }
  | { event: 'memory'; reading: MemoryReading }
  | { event: 'changed'; result: RoundResult }
  | { event: 'failed'; message: string };

export const VIEW = 'envoy|mesh';
/** Node classes: one (every stream in VIEW), or several, each its own view of the mesh (see sliceSource). */
export const viewOf = (k: number, classes: number) => (classes > 1 ? `envoy|bench-c${k}` : VIEW);
export const labelsOf = (k: number, classes: number): Record<string, string> => (classes > 1 ? { ...LABELS, class: `c${k}` } : LABELS);
/** The gRPC metadata key a bench client names its class in (the floor reads it; the bridge reads node labels). */
export const CLASS_HEADER = 'x-bench-class';
/** What the bench's client subscribes to, in the bridge's delivery order (its config references no secrets). */
export const CLIENT_TYPES: readonly ResourceType[] = DELIVERY_ORDER.filter((t) => ['clusters', 'endpoints', 'listeners', 'routes'].includes(t));
export const LABELS = { app: 'bench' };
export const ADS_PATH = '/envoy.service.discovery.v3.AggregatedDiscoveryService/StreamAggregatedResources';
export const ROUND_TIMEOUT_MS = 120_000;

/**
 * `services` ServiceEntries with two endpoints each (labels version=v1/v2), a DestinationRule with
 * subsets v1 and v2, and a VirtualService splitting 90/10: per service one default and two subset
 * clusters, so 3 × services clusters and assignments, one listener and one route configuration.
 */
export class MeshConfig {
  private weights: number[];
  private v2Octet: number[];

  constructor(private readonly services: number) {
    this.weights = Array.from({ length: services }, () => 90);
    this.v2Octet = Array.from({ length: services }, () => 2);
  }

  /**
   * Step k: one weight change and one endpoint change (or one of them), on services picked by k among
   * the first `among` (the services every class sees, so the change reaches every stream).
   */
  change(step: number, kind: ChangeKind = 'both', among = this.services): void {
    const w = (step * 37) % among;
    const e = (step * 37 + Math.floor(among / 2)) % among;
    if (kind !== 'endpoint') this.weights[w] = 90 - ((5 * step) % 80);
    if (kind !== 'weight') this.v2Octet[e] = 100 + (step % 150);
  }

  yaml(): string {
    const docs: string[] = [];
    for (let i = 0; i < this.services; i++) {
      const host = `svc-${i}.bench.svc.cluster.local`;
      const net = `10.${i >> 8}.${i & 255}`;
      docs.push(`apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: svc-${i}, namespace: bench}
spec:
  hosts: [${host}]
  location: MESH_INTERNAL
  resolution: STATIC
  ports: [{number: 8080, name: http, protocol: HTTP}]
  endpoints:
  - {address: ${net}.1, labels: {version: v1}}
  - {address: ${net}.${this.v2Octet[i]}, labels: {version: v2}}
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: svc-${i}, namespace: bench}
spec:
  host: ${host}
  subsets:
  - {name: v1, labels: {version: v1}}
  - {name: v2, labels: {version: v2}}
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: svc-${i}, namespace: bench}
spec:
  hosts: [${host}]
  http:
  - route:
    - destination: {host: ${host}, subset: v1}
      weight: ${this.weights[i]}
    - destination: {host: ${host}, subset: v2}
      weight: ${100 - this.weights[i]!}`);
    }
    return docs.join('\n---\n');
  }
}

/** Which stream has ACKed which type of the version being delivered; settles when every stream has all of them. */
export class Round {
  readonly t0 = performance.now();
  private readonly pending = new Map<string, Set<ResourceType>>();
  private readonly perStream: number[] = [];
  private readonly perType: Partial<Record<ResourceType, number>> = {};
  private readonly left: Partial<Record<ResourceType, number>> = {};
  private resolve!: () => void;
  readonly done = new Promise<void>((r) => (this.resolve = r));

  /** `keys`: every stream, with the types this version changes for it (its class's view), or all with `types`. */
  constructor(
    keys: Iterable<string> | Map<string, ResourceType[]>,
    readonly types: ResourceType[],
  ) {
    const typesOf = keys instanceof Map ? (key: string) => keys.get(key)! : () => types;
    for (const key of keys instanceof Map ? keys.keys() : keys) if (typesOf(key).length) this.pending.set(key, new Set(typesOf(key)));
    for (const t of types) this.left[t] = [...this.pending.values()].filter((p) => p.has(t)).length;
    if (this.pending.size === 0 || types.length === 0) this.resolve();
  }

  ack(key: string, type: ResourceType, now = performance.now()): void {
    const waiting = this.pending.get(key);
    if (!waiting?.delete(type)) return;
    if (--this.left[type]! === 0) this.perType[type] = now - this.t0;
    if (waiting.size === 0) {
      this.pending.delete(key);
      this.perStream.push(now - this.t0);
      if (this.pending.size === 0) this.resolve();
    }
  }

  get remaining(): number {
    return this.pending.size;
  }

  result(): Pick<RoundResult, 't0Epoch' | 'perStream' | 'perType' | 'changedTypes'> {
    return { t0Epoch: performance.timeOrigin + this.t0, perStream: this.perStream, perType: this.perType, changedTypes: this.types };
  }
}

/** The first version: resolves once `streams` streams have ACKed `types` new versions each. */
export class Convergence {
  private readonly counts = new Map<string, number>();
  private converged = 0;
  private resolve!: () => void;
  readonly done = new Promise<void>((r) => (this.resolve = r));

  constructor(
    private readonly streams: number,
    private readonly types: number,
  ) {}

  ack(key: string): void {
    const n = (this.counts.get(key) ?? 0) + 1;
    this.counts.set(key, n);
    if (n === this.types && ++this.converged === this.streams) this.resolve();
  }
}

export function withTimeout(round: Round, what: string): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: ${round.remaining} streams had not ACKed after ${ROUND_TIMEOUT_MS / 1000} s`)), ROUND_TIMEOUT_MS);
  });
  return Promise.race([round.done, timeout]).finally(() => clearTimeout(timer));
}

/** Distinct resources (by type and content) in `next` that `prev` did not have: what an encoder should encode. */
export function changedResources(prev: ViewSnapshot['source'] | undefined, next: ViewSnapshot['source']): number {
  const keys = (s: ViewSnapshot['source']) => new Set(Object.entries(s.types).flatMap(([url, t]) => t.resources.map((r) => `${url}\n${JSON.stringify(r)}`)));
  const before = prev ? keys(prev) : new Set<string>();
  let n = 0;
  for (const k of keys(next)) if (!before.has(k)) n++;
  return n;
}

export const changedTypes = (prev: ViewSnapshot | undefined, next: ViewSnapshot) => CLIENT_TYPES.filter((t) => prev?.types[t].version !== next.types[t].version);

export function memory(): MemoryReading {
  const gc = (globalThis as { gc?: () => void }).gc;
  for (let i = 0; i < 4; i++) gc?.();
  const m = process.memoryUsage();
  return { rss: m.rss, heapUsed: m.heapUsed, heapTotal: m.heapTotal, external: m.external };
}

export interface ServerMode {
  port: number;
  /** Resolves when `streams` streams have ACKed every type of the first version. */
  converged: Promise<void>;
  change(step: number, kind: ChangeKind): Promise<RoundResult>;
}

/** Services every class sees: 1% of the mesh (at least one); the changes of the worst case fall among them. */
export const sharedServices = (services: number, classes: number) => (classes > 1 ? Math.max(1, Math.floor(services / 100)) : services);

const serviceOf = (name: string) => Number(/svc-(\d+)\./.exec(name)?.[1] ?? -1);

/**
 * Class k's view of the whole mesh's source, as a Sidecar per class would scope it: the shared services
 * and every service i with i % classes == k (clusters, assignments and virtual hosts), the rest as it is.
 * Versions recomputed from the content, as the edge's are. One class: the source itself.
 */
export function sliceSource(source: ViewSnapshot['source'], k: number, classes: number, services: number): ViewSnapshot['source'] {
  if (classes <= 1) return source;
  const shared = sharedServices(services, classes);
  const keep = (name: string) => {
    const i = serviceOf(name);
    return i < 0 || i < shared || i % classes === k;
  };
  const types: ViewSnapshot['source']['types'] = {};
  for (const [url, t] of Object.entries(source.types)) {
    let resources = t.resources;
    if (url === RESOURCE_TYPES.clusters) resources = resources.filter((r) => keep(String(r.name)));
    if (url === RESOURCE_TYPES.endpoints) resources = resources.filter((r) => keep(String(r.cluster_name)));
    if (url === RESOURCE_TYPES.routes) resources = resources.map((r) => ({ ...r, virtual_hosts: (r.virtual_hosts as { name: string }[]).filter((vh) => keep(vh.name)) }));
    types[url] = { version: hashContent(resources.map((r) => JSON.stringify(r)).join('\n')).slice(0, 16), resources };
  }
  return { version: hashContent(DELIVERY_ORDER.map((t) => types[RESOURCE_TYPES[t]]!.version).join('\n')), types };
}

/** Encoded bytes of the resources whose content changed (or appeared) from `prev` to `next`, over the client's types. */
export function changedBytes(prev: ViewSnapshot | undefined, next: ViewSnapshot): number {
  let n = 0;
  for (const t of CLIENT_TYPES) for (const [name, r] of next.types[t].resources) if (prev?.types[t].resources.get(name)?.hash !== r.hash) n += r.any.length;
  return n;
}
