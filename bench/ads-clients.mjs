// The client side of the fan-out benchmark: many ADS streams in one process (forked by bench/fanout.mjs,
// driven over IPC; the worst case runs several such processes). Stream j is of node class j % classes
// (label class=c<k>, also named in x-bench-class metadata for the floor, which reads no node). Each stream is its own gRPC channel and TCP connection, with its own node id, and
// behaves like Envoy with `set_node_on_first_message_only: true` (deploy/README.md): CDS by wildcard;
// the EDS names of the clusters it gets (requested before the CDS ACK, as Envoy's paused EDS does);
// LDS by wildcard once the first endpoints are ACKed; the RDS names of its listeners. It ACKs every
// response and never NACKs.
//
// Responses are decoded with fromBinary on Envoy's descriptors, no further than needed: a head
// message made of DiscoveryResponse's own version_info, type_url and nonce fields for every response,
// and the full message (clusters, listeners, their connection managers) only for a CDS or LDS
// version this process has not seen yet. Names learned from a version are shared by every stream.
import * as grpc from '@grpc/grpc-js';
import { create, createFileRegistry, fromBinary, fromJson, toBinary } from '@bufbuild/protobuf';
import { BinaryWriter, WireType } from '@bufbuild/protobuf/wire';
import { FileDescriptorProtoSchema, FileDescriptorSetSchema } from '@bufbuild/protobuf/wkt';
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';

const ADS_PATH = '/envoy.service.discovery.v3.AggregatedDiscoveryService/StreamAggregatedResources';
const TYPE = {
  clusters: 'type.googleapis.com/envoy.config.cluster.v3.Cluster',
  endpoints: 'type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment',
  listeners: 'type.googleapis.com/envoy.config.listener.v3.Listener',
  routes: 'type.googleapis.com/envoy.config.route.v3.RouteConfiguration',
};
const HCM = 'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager';
const EDS = 3; // envoy.config.cluster.v3.Cluster.DiscoveryType.EDS
/** Streams opened at once; the next batch waits for these to receive their first response. */
const BATCH = 50;

/** Epoch milliseconds, sub-millisecond, on the same clock as the server process. */
const now = () => performance.timeOrigin + performance.now();

let protos;
function load(descriptors) {
  const registry = createFileRegistry(fromBinary(FileDescriptorSetSchema, readFileSync(descriptors)));
  const message = (name) => registry.getMessage(name) ?? (() => { throw new Error(`no ${name} in ${descriptors}`); })();
  const response = message('envoy.service.discovery.v3.DiscoveryResponse');
  // DiscoveryResponse's own field descriptors for version_info (1), type_url (4) and nonce (5); the rest is skipped unread.
  const headFile = create(FileDescriptorProtoSchema, {
    name: 'xdsflare/bench/head.proto',
    package: 'xdsflare.bench',
    syntax: 'proto3',
    messageType: [{ name: 'DiscoveryResponseHead', field: response.proto.field.filter((f) => [1, 4, 5].includes(f.number)) }],
  });
  const head = createFileRegistry(headFile, () => undefined).getMessage('xdsflare.bench.DiscoveryResponseHead');
  return { registry, response, head, cluster: message('envoy.config.cluster.v3.Cluster'), listener: message('envoy.config.listener.v3.Listener'), hcm: message(HCM.slice(HCM.indexOf('/') + 1)), node: message('envoy.config.core.v3.Node') };
}

/** Names a CDS or LDS response makes the client subscribe to, by type and version: the same for every stream. */
const learned = new Map();
function namesFrom(typeUrl, version, bytes) {
  const key = `${typeUrl}\n${version}`;
  let names = learned.get(key);
  if (names) return names;
  const full = fromBinary(protos.response, bytes);
  const out = new Set();
  for (const any of full.resources) {
    if (typeUrl === TYPE.clusters) {
      const c = fromBinary(protos.cluster, any.value);
      if (c.clusterDiscoveryType.case === 'type' && c.clusterDiscoveryType.value === EDS) out.add(c.edsClusterConfig?.serviceName || c.name);
    } else {
      const l = fromBinary(protos.listener, any.value);
      for (const chain of [...l.filterChains, ...(l.defaultFilterChain ? [l.defaultFilterChain] : [])]) {
        for (const f of chain.filters) {
          if (f.configType.case !== 'typedConfig' || f.configType.value.typeUrl !== HCM) continue;
          const hcm = fromBinary(protos.hcm, f.configType.value.value);
          if (hcm.routeSpecifier.case === 'rds') out.add(hcm.routeSpecifier.value.routeConfigName);
        }
      }
    }
  }
  names = [...out].sort();
  learned.set(key, names);
  return names;
}

const LEN = WireType.LengthDelimited;
/** The repeated resource_names field (3), framed once per name set. */
const framedNames = new Map();
function frameNames(names) {
  const key = names.join('\n');
  let framed = framedNames.get(key);
  if (!framed) {
    const w = new BinaryWriter();
    for (const n of names) w.tag(3, LEN).string(n);
    framedNames.set(key, (framed = w.finish()));
  }
  return framed;
}

/** A DiscoveryRequest: version_info (1), node (2, first request only), resource_names (3), type_url (4), response_nonce (5). */
function request({ version = '', node, names = [], typeUrl, nonce = '' }) {
  const w = new BinaryWriter();
  if (version) w.tag(1, LEN).string(version);
  if (node) w.tag(2, LEN).bytes(node);
  w.raw(frameNames(names)).tag(4, LEN).string(typeUrl);
  if (nonce) w.tag(5, LEN).string(nonce);
  const bytes = w.finish();
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** An Envoy node as big as a real one (it lists every compiled-in extension), sent once per stream. */
function nodeBytes(id, labels) {
  const extensions = Array.from({ length: 200 }, (_, i) => ({ name: `envoy.extension.number_${i}`, category: `envoy.category_${i % 20}`, type_urls: [`type.googleapis.com/envoy.extensions.sample.v3.Config${i}`] }));
  const json = { id, cluster: 'bench', user_agent_name: 'envoy', user_agent_build_version: { version: { major_number: 1, minor_number: 36 } }, metadata: { labels }, extensions };
  return toBinary(protos.node, fromJson(protos.node, json, { registry: protos.registry }));
}

class AdsClient {
  /** Per type URL: last accepted version, last nonce, subscribed names. */
  state = new Map(Object.values(TYPE).map((t) => [t, { version: '', nonce: '', names: [] }]));
  lastAckAt = 0;
  responses = 0;
  /** Response bytes received since the last `lastAcks` (what one version cost this stream). */
  bytes = 0;
  ldsStarted = false;

  constructor(group, id, port, k, classes, onFirst) {
    this.group = group;
    this.id = id;
    this.k = k;
    this.onFirst = onFirst;
    this.client = new grpc.Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure(), { 'grpc.use_local_subchannel_pool': 1, 'grpc.max_receive_message_length': 64 * 1024 * 1024 });
    const raw = (b) => b;
    const metadata = new grpc.Metadata();
    metadata.set('x-bench-class', String(k));
    this.call = this.client.makeBidiStreamRequest(ADS_PATH, raw, raw, metadata);
    this.call.on('data', (buf) => this.onResponse(buf));
    this.call.on('error', (err) => group.errors.push(`${id}: ${err.code} ${err.details ?? err.message}`));
    this.call.write(request({ node: nodeBytes(id, classes > 1 ? { app: 'bench', class: `c${k}` } : { app: 'bench' }), typeUrl: TYPE.clusters }));
  }

  send(typeUrl, ack) {
    const st = this.state.get(typeUrl);
    this.call.write(request({ version: st.version, names: st.names, typeUrl, nonce: st.nonce }));
    if (ack) this.lastAckAt = now();
  }

  /** Changes a named subscription (EDS, RDS) before the ACK of the response that named the resources. */
  subscribe(typeUrl, names) {
    const st = this.state.get(typeUrl);
    if (st.names.join('\n') === names.join('\n')) return;
    st.names = names;
    this.send(typeUrl, false);
  }

  onResponse(bytes) {
    if (this.responses++ === 0) this.onFirst();
    this.bytes += bytes.length;
    const head = fromBinary(protos.head, bytes, { readUnknownFields: false });
    const st = this.state.get(head.typeUrl);
    if (!st) throw new Error(`${this.id}: a response of unexpected type ${head.typeUrl}`);
    if (head.typeUrl === TYPE.clusters) this.subscribe(TYPE.endpoints, namesFrom(head.typeUrl, head.versionInfo, bytes));
    if (head.typeUrl === TYPE.listeners) this.subscribe(TYPE.routes, namesFrom(head.typeUrl, head.versionInfo, bytes));
    st.version = head.versionInfo;
    st.nonce = head.nonce;
    this.send(head.typeUrl, true);
    if (head.typeUrl === TYPE.endpoints && !this.ldsStarted) {
      // Envoy asks for listeners once its clusters are initialized (xds-protocol.md §2.2).
      this.ldsStarted = true;
      this.send(TYPE.listeners, false);
    }
  }

  close() {
    this.call.cancel();
    this.client.close();
  }
}

const groups = new Map();
const reply = (m) => process.send(m);

async function open({ group: name, port, streams, descriptors, classes = 1, offset = 0 }) {
  protos ??= load(descriptors);
  const group = { clients: [], errors: [] };
  groups.set(name, group);
  for (let i = 0; i < streams; i += BATCH) {
    const firsts = [];
    for (let j = i; j < Math.min(streams, i + BATCH); j++) {
      const n = offset + j;
      firsts.push(new Promise((resolve) => group.clients.push(new AdsClient(group, `bench-${name}-${String(n).padStart(5, '0')}`, port, n % classes, classes, resolve))));
    }
    await Promise.race([Promise.all(firsts), new Promise((r) => setTimeout(r, 10_000))]);
    if (group.errors.length) throw new Error(`streams failed while opening: ${group.errors.slice(0, 3).join('; ')}`);
  }
}

process.on('message', async (m) => {
  try {
    if (m.cmd === 'open') {
      await open(m);
      reply({ event: 'opened', group: m.group });
    } else if (m.cmd === 'lastAcks') {
      const g = groups.get(m.group);
      const bytes = g.clients.map((c) => c.bytes);
      for (const c of g.clients) c.bytes = 0;
      reply({ event: 'lastAcks', group: m.group, times: g.clients.map((c) => c.lastAckAt), bytes, classes: g.clients.map((c) => c.k), errors: g.errors });
    } else if (m.cmd === 'close') {
      for (const c of groups.get(m.group)?.clients ?? []) c.close();
      groups.delete(m.group);
      reply({ event: 'closed', group: m.group });
    }
  } catch (err) {
    reply({ event: 'failed', message: err instanceof Error ? (err.stack ?? err.message) : String(err) });
  }
});
process.on('disconnect', () => process.exit(0));
