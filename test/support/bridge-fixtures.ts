import * as grpc from '@grpc/grpc-js';
import { join } from 'node:path';
import { parseManifest, parseView, RESOURCE_TYPES, DELIVERY_ORDER, nodeClassOf, renderView, translateIntents, validateIntent, type IntentObject, type NodeClass } from '../../xds';
import { loadEnvoyProtos, type EnvoyProtos } from '../../gateway/protos/envoy-protos';
import { SnapshotEncoder } from '../../gateway/snapshot/encoder';
import type { SnapshotStore } from '../../gateway/snapshot/store';
import type { ViewSnapshot } from '../../gateway/snapshot/types';
import { hashContent } from '../../xds';

let cached: EnvoyProtos | undefined;
/** Envoy's protos from build/envoy-descriptors.binpb (made by the pretest step). */
export function envoyProtos(): EnvoyProtos {
  cached ??= loadEnvoyProtos(join(import.meta.dirname, '..', '..', 'build', 'envoy-descriptors.binpb'));
  return cached;
}

export function intentsOf(yaml: string): IntentObject[] {
  const parsed = parseManifest(yaml, 'application/yaml');
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.errors));
  return parsed.documents.map((doc, i) => {
    const v = validateIntent(doc, { path: `[${i}]` });
    if (!v.ok) throw new Error(JSON.stringify(v.errors));
    return v.object;
  });
}

/** What the edge's bulk endpoint would send for one view, rendered here by the translator. */
export async function viewSource(yaml: string, view: string): Promise<ViewSnapshot['source']> {
  const result = translateIntents(intentsOf(yaml));
  if (result.errors.length) throw new Error(JSON.stringify(result.errors));
  const snapshot = renderView(result.ir, parseView(view), { mode: 'ads' });
  const types = Object.fromEntries(
    DELIVERY_ORDER.map((t) => [RESOURCE_TYPES[t], { version: snapshot.types[t].version, resources: [...snapshot.types[t].resources.values()].map((r) => r.json) }]),
  );
  return { version: hashContent(DELIVERY_ORDER.map((t) => snapshot.types[t].version).join('\n')), types };
}

/** Puts a config into a bridge's store as if the edge had answered it. */
export async function publish(store: SnapshotStore, encoder: SnapshotEncoder, yaml: string, revision: number, labels: Record<string, string>[] = [{}]): Promise<void> {
  const views = new Set(['grpc|mesh', 'envoy|mesh']);
  const classes: NodeClass[] = labels.flatMap((l) => [nodeClassOf({ id: '', userAgentName: 'gRPC', labels: l }), nodeClassOf({ id: '', userAgentName: 'envoy', labels: l })]);
  store.restoreClasses(classes.map((nodeClass) => ({ nodeClass, view: nodeClass.key.startsWith('grpc|') ? 'grpc|mesh' : 'envoy|mesh' })));
  const snapshots = new Map<string, ViewSnapshot>();
  for (const view of views) snapshots.set(view, encoder.encodeView(view, await viewSource(yaml, view), revision, Date.now()));
  store.apply({ revision, classViews: new Map(classes.map((c) => [c.key, c.key.startsWith('grpc|') ? 'grpc|mesh' : 'envoy|mesh'])), snapshots });
}

const ECHO = '/xdsflare.test.Echo/Who';
const raw = (b: Buffer) => b;
const ECHO_SERVICE = { Who: { path: ECHO, requestStream: false, responseStream: false, requestSerialize: raw, requestDeserialize: raw, responseSerialize: raw, responseDeserialize: raw } } as unknown as grpc.ServiceDefinition;

export interface EchoBackend {
  name: string;
  port: number;
  calls: number;
  /** Change at any time: fail calls with this gRPC status, or answer after a delay. */
  behaviour: { failWith?: grpc.status; delayMs?: number };
  stop(): Promise<void>;
}

/** A gRPC server on 127.0.0.1 that answers its own name: which endpoint a call landed on. */
export async function startEcho(name: string): Promise<EchoBackend> {
  const server = new grpc.Server();
  const backend: EchoBackend = { name, port: 0, calls: 0, behaviour: {}, stop: async () => void server.forceShutdown() };
  server.addService(ECHO_SERVICE, {
    Who(_call: unknown, callback: grpc.sendUnaryData<Buffer>) {
      backend.calls++;
      const { failWith, delayMs } = backend.behaviour;
      const answer = () => (failWith !== undefined ? callback({ code: failWith, details: `${name} fails on purpose` }) : callback(null, Buffer.from(name)));
      if (delayMs) setTimeout(answer, delayMs);
      else answer();
    },
  });
  backend.port = await new Promise<number>((resolve, reject) => server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))));
  return backend;
}

/** A proxyless gRPC echo client of either implementation. */
export interface EchoClient {
  /** One call: resolves with the name of the backend that answered; `headers` become request metadata. Rejects with `{ code }`. */
  call(deadlineMs?: number, headers?: Record<string, string>): Promise<string>;
  close(): void;
}

let registered = false;
/**
 * A proxyless gRPC client (the real @grpc/grpc-js-xds) resolving `xds:///target` through the bridge at
 * adsPort; `locality` goes into its bootstrap node (as node.locality), for localityLbSetting.
 */
export async function xdsEchoClient(adsPort: number, target: string, nodeId: string, labels: Record<string, string> = {}, locality: { region?: string; zone?: string; sub_zone?: string } = {}): Promise<EchoClient> {
  const xds = await import('@grpc/grpc-js-xds');
  if (!registered) {
    xds.register();
    registered = true;
  }
  const bootstrap = {
    xds_servers: [{ server_uri: `127.0.0.1:${adsPort}`, channel_creds: [{ type: 'insecure' }], server_features: [] }],
    node: { id: nodeId, locality, metadata: { labels } },
  };
  const Client = grpc.makeGenericClientConstructor(ECHO_SERVICE as never, 'Echo');
  const client = new Client(`xds:///${target}`, grpc.credentials.createInsecure(), { 'grpc.TEST_ONLY_DO_NOT_USE_IN_PROD.xds_bootstrap_config': JSON.stringify(bootstrap) } as never);
  /** One call: resolves with the name of the backend that answered; `headers` become request metadata. */
  const call = (deadlineMs = 5000, headers: Record<string, string> = {}) => {
    const metadata = new grpc.Metadata();
    for (const [k, v] of Object.entries(headers)) metadata.set(k, v);
    return new Promise<string>((resolve, reject) =>
      (client as any).Who(Buffer.alloc(0), metadata, { deadline: Date.now() + deadlineMs }, (err: Error | null, res: Buffer) => (err ? reject(err) : resolve(res.toString()))),
    );
  };
  return { call, close: () => client.close() };
}
