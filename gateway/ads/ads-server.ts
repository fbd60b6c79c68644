import * as grpc from '@grpc/grpc-js';
import type { ClassRefusal } from '../../xds';
import type { CallAuth } from '../auth/authenticate-call';
import { decodeDeltaRequest, decodeSotwRequest, responseFields } from '../protos/discovery-codec';
import type { EnvoyProtos } from '../protos/envoy-protos';
import type { SnapshotStore } from '../snapshot/store';
import type { AdsStream, AdsStreamOptions } from './ads-stream';
import { DeltaStream } from './delta-stream';
import { SotwStream } from './sotw-stream';
import type { StreamObserver } from './stream-types';

const SERVICE = '/envoy.service.discovery.v3.AggregatedDiscoveryService';

const toBuffer = (bytes: Uint8Array) => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
const identity = (b: Buffer) => b;

/** Requests are decoded in the handler, not by grpc-js, so a malformed one fails its stream with a clear status. */
function method(name: string) {
  return {
    path: `${SERVICE}/${name}`,
    requestStream: true,
    responseStream: true,
    requestSerialize: identity,
    requestDeserialize: identity,
    responseSerialize: toBuffer,
    responseDeserialize: identity,
    originalName: name,
  };
}

export const ADS_SERVICE_DEFINITION = {
  StreamAggregatedResources: method('StreamAggregatedResources'),
  DeltaAggregatedResources: method('DeltaAggregatedResources'),
} as unknown as grpc.ServiceDefinition;

export interface AdsServerOptions {
  protos: EnvoyProtos;
  store: SnapshotStore;
  /** control_plane.identifier in responses: which bridge answered. */
  controlPlane: string;
  observer?: StreamObserver;
  ackTimeoutMs?: number;
  edsSubscribeWaitMs?: number;
  /** TLS (gateway/auth/server-credentials); plaintext without. */
  credentials?: grpc.ServerCredentials;
  /**
   * Who a call is, judged before any of its requests is read (gateway/auth/authenticate-call). Without it
   * every client is served as nobody: only for tests of the protocol; the bridge always passes one.
   */
  authenticate?: (call: Call) => Promise<CallAuth>;
}

export interface AdsServer {
  server: grpc.Server;
  port: number;
  /** Open streams (for status heartbeats and draining). */
  streams: Set<AdsStream>;
  /** Ends every stream so clients reconnect elsewhere, then stops the server. */
  drain(timeoutMs: number): Promise<void>;
}

export type Call = grpc.ServerDuplexStream<Buffer, Uint8Array>;

/** The gRPC ADS server: state of the world and delta over one port. */
export async function startAdsServer(address: string, options: AdsServerOptions): Promise<AdsServer> {
  const fields = responseFields(options.protos);
  const streams = new Set<AdsStream>();
  const calls = new Set<Call>();
  let draining = false;

  /** Authenticates the call, then serves it with a stream bound to its identity; refused calls get their status and nothing else. */
  async function open<S extends SotwStream | DeltaStream>(call: Call, make: (options: AdsStreamOptions) => [S, (buf: Buffer) => string | undefined]) {
    if (draining) {
      call.emit('error', { code: grpc.status.UNAVAILABLE, details: 'this bridge is draining' });
      return;
    }
    // Requests wait, unread, in the call's buffer until it is authenticated.
    let auth: CallAuth = { ok: true, via: 'none' };
    if (options.authenticate) {
      try {
        auth = await options.authenticate(call);
      } catch (err) {
        auth = { ok: false, code: grpc.status.INTERNAL, details: `cannot authenticate the call: ${err instanceof Error ? err.message : String(err)}` };
      }
    }
    if (call.cancelled) return;
    if (draining) {
      call.emit('error', { code: grpc.status.UNAVAILABLE, details: 'this bridge is draining' });
      return;
    }
    if (!auth.ok) {
      options.observer?.log?.('warn', 'refusing an ADS stream', { peer: call.getPeer(), code: grpc.status[auth.code], reason: auth.details });
      call.emit('error', { code: auth.code, details: auth.details });
      return;
    }
    let refuse = (_refusal: ClassRefusal) => {};
    const [stream, onData] = make({ ...streamOptions, ...(auth.identity ? { identity: auth.identity } : {}), onRefused: (refusal) => refuse(refusal) });
    refuse = (refusal) => {
      // The edge judged the node's claims against its identity: no config, and the reason, never a NACK-able push.
      options.observer?.log?.('warn', 'refusing an ADS stream', { node: stream.node?.id, identity: auth.identity, reason: refusal.reason });
      call.emit('error', { code: grpc.status.PERMISSION_DENIED, details: `node.metadata.${refusal.claim === 'namespace' ? 'NAMESPACE' : 'labels'}: ${refusal.reason}` });
      stream.close();
    };
    serve(call, stream, onData);
  }

  function serve<S extends SotwStream | DeltaStream>(call: Call, stream: S, onData: (buf: Buffer) => string | undefined) {
    streams.add(stream);
    calls.add(call);
    const done = () => {
      streams.delete(stream);
      calls.delete(call);
      stream.close();
    };
    call.on('data', (buf: Buffer) => {
      let problem: string | undefined;
      try {
        problem = onData(buf);
      } catch (err) {
        problem = `malformed request: ${err instanceof Error ? err.message : String(err)}`;
      }
      if (problem) {
        options.observer?.log?.('warn', 'failing an ADS stream', { node: stream.node?.id, reason: problem });
        call.emit('error', { code: grpc.status.INVALID_ARGUMENT, details: problem });
        done();
      }
    });
    call.on('end', () => {
      done();
      call.end();
    });
    call.on('cancelled', done);
    call.on('error', done);
    call.on('close', done);
  }

  const streamOptions: AdsStreamOptions = { store: options.store, fields, controlPlane: options.controlPlane, observer: options.observer, ackTimeoutMs: options.ackTimeoutMs, edsSubscribeWaitMs: options.edsSubscribeWaitMs };
  const server = new grpc.Server({ 'grpc.keepalive_time_ms': 30_000, 'grpc.keepalive_timeout_ms': 10_000, 'grpc.max_receive_message_length': 16 * 1024 * 1024 });
  server.addService(ADS_SERVICE_DEFINITION, {
    StreamAggregatedResources(call: Call) {
      void open(call, (o) => {
        const stream = new SotwStream(o, (bytes) => call.write(bytes));
        return [stream, (buf) => stream.onRequest(decodeSotwRequest(options.protos, buf))];
      });
    },
    DeltaAggregatedResources(call: Call) {
      void open(call, (o) => {
        const stream = new DeltaStream(o, (bytes) => call.write(bytes));
        return [stream, (buf) => stream.onRequest(decodeDeltaRequest(options.protos, buf))];
      });
    },
  });
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync(address, options.credentials ?? grpc.ServerCredentials.createInsecure(), (err, bound) => (err ? reject(err) : resolve(bound))),
  );

  return {
    server,
    port,
    streams,
    async drain(timeoutMs) {
      draining = true;
      for (const call of calls) call.end();
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          server.forceShutdown();
          resolve();
        }, timeoutMs);
        server.tryShutdown(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    },
  };
}
