import * as grpc from '@grpc/grpc-js';
import { decodeDeltaRequest, decodeSotwRequest, responseFields } from '../protos/discovery-codec';
import type { EnvoyProtos } from '../protos/envoy-protos';
import type { SnapshotStore } from '../snapshot/store';
import type { AdsStream } from './ads-stream';
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
}

export interface AdsServer {
  server: grpc.Server;
  port: number;
  /** Open streams (for status heartbeats and draining). */
  streams: Set<AdsStream>;
  /** Ends every stream so clients reconnect elsewhere, then stops the server. */
  drain(timeoutMs: number): Promise<void>;
}

type Call = grpc.ServerDuplexStream<Buffer, Uint8Array>;

/** The gRPC ADS server: state of the world and delta over one port. */
export async function startAdsServer(address: string, options: AdsServerOptions): Promise<AdsServer> {
  const fields = responseFields(options.protos);
  const streams = new Set<AdsStream>();
  const calls = new Set<Call>();
  let draining = false;

  function serve<S extends SotwStream | DeltaStream>(call: Call, stream: S, onData: (buf: Buffer) => string | undefined) {
    if (draining) {
      call.emit('error', { code: grpc.status.UNAVAILABLE, details: 'this bridge is draining' });
      return;
    }
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

  const streamOptions = { store: options.store, fields, controlPlane: options.controlPlane, observer: options.observer, ackTimeoutMs: options.ackTimeoutMs, edsSubscribeWaitMs: options.edsSubscribeWaitMs };
  const server = new grpc.Server({ 'grpc.keepalive_time_ms': 30_000, 'grpc.keepalive_timeout_ms': 10_000, 'grpc.max_receive_message_length': 16 * 1024 * 1024 });
  server.addService(ADS_SERVICE_DEFINITION, {
    StreamAggregatedResources(call: Call) {
      const stream = new SotwStream(streamOptions, (bytes) => call.write(bytes));
      serve(call, stream, (buf) => stream.onRequest(decodeSotwRequest(options.protos, buf)));
    },
    DeltaAggregatedResources(call: Call) {
      const stream = new DeltaStream(streamOptions, (bytes) => call.write(bytes));
      serve(call, stream, (buf) => stream.onRequest(decodeDeltaRequest(options.protos, buf)));
    },
  });
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync(address, grpc.ServerCredentials.createInsecure(), (err, bound) => (err ? reject(err) : resolve(bound))),
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
