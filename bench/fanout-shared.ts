// What both sides of the fan-out benchmark's server share: the IPC messages, the benchmark's config,
// and how a version's delivery is timed (see bench/fanout-server.ts).
import { performance } from 'node:perf_hooks';
import { DELIVERY_ORDER, type ResourceType } from '../xds';
import type { ViewSnapshot } from '../gateway/snapshot/types';

export type Mode = 'bridge' | 'floor';

export type ToServer =
  | { cmd: 'start'; mode: Mode; services: number; streams: number; descriptors: string }
  | { cmd: 'memory' }
  | { cmd: 'change'; step: number };

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
  /** Bytes of DiscoveryResponse one stream receives for this version (the floor knows; the bridge writes the same). */
}

export type FromServer =
  | { event: 'ready'; port: number }
  | { event: 'converged'; ms: number; streams: number }
  | { event: 'memory'; reading: MemoryReading }
  | { event: 'changed'; result: RoundResult }
  | { event: 'failed'; message: string };

export const VIEW = 'envoy|mesh';
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

  /** Step k: one weight change and one endpoint change, on two services picked by k. */
  change(step: number): void {
    const w = (step * 37) % this.services;
    const e = (step * 37 + Math.floor(this.services / 2)) % this.services;
    this.weights[w] = 90 - 5 * step;
    this.v2Octet[e] = 100 + step;
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

  constructor(
    keys: Iterable<string>,
    readonly types: ResourceType[],
  ) {
    for (const key of keys) this.pending.set(key, new Set(types));
    for (const t of types) this.left[t] = this.pending.size;
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
  change(step: number): Promise<RoundResult>;
}
