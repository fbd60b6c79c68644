import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';
import { parseHostPort } from '../config';
import type { Logger } from './logger';

/** What `/readyz` reports: ready once there is a snapshot to serve, and not while draining. */
export interface Readiness {
  ok: boolean;
  reason?: string;
}

export interface OpsServerOptions {
  /** `host:port`; port 0 picks a free port (tests). */
  address: string;
  registry: Registry;
  ready: () => Readiness;
  logger: Logger;
}

export interface OpsServer {
  /** The port actually listened on. */
  port: number;
  /** Stops listening and closes open (keep-alive) connections; calling it again is harmless. */
  close(): Promise<void>;
}

/**
 * Serves the bridge's operational HTTP endpoints for Kubernetes probes and Prometheus:
 * `GET /healthz` (200 while the process is live), `GET /readyz` (200 or 503 with the reason) and
 * `GET /metrics`. HEAD is answered like GET without a body; other methods get 405.
 */
export async function startOpsServer(options: OpsServerOptions): Promise<OpsServer> {
  const { registry, ready, logger } = options;
  const { host, port } = parseHostPort(options.address);
  let wasReady: boolean | undefined;

  const routes: Record<string, (res: ServerResponse) => Promise<void> | void> = {
    '/healthz': (res) => send(res, 200, 'ok\n'),
    '/readyz': (res) => {
      let state: Readiness;
      try {
        state = ready();
      } catch (error) {
        state = { ok: false, reason: `readiness check failed: ${(error as Error).message}` };
      }
      // Probes arrive every few seconds: log changes, not every answer.
      if (state.ok !== wasReady) logger.info(state.ok ? 'ready' : 'not ready', state.ok ? {} : { reason: state.reason });
      wasReady = state.ok;
      send(res, state.ok ? 200 : 503, state.ok ? 'ok\n' : `not ready: ${state.reason ?? 'unknown'}\n`);
    },
    '/metrics': async (res) => {
      try {
        send(res, 200, await registry.metrics(), registry.contentType);
      } catch (error) {
        logger.error('metrics collection failed', { error });
        send(res, 500, 'metrics collection failed\n');
      }
    },
  };

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const path = (req.url ?? '/').split('?', 1)[0]!;
    const route = Object.hasOwn(routes, path) ? routes[path] : undefined;
    if (!route) return send(res, 404, 'not found\n');
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('allow', 'GET, HEAD');
      return send(res, 405, 'method not allowed\n');
    }
    Promise.resolve(route(res)).catch((error) => {
      logger.error('ops request failed', { path, error });
      if (!res.headersSent) send(res, 500, 'internal error\n');
      else res.destroy();
    });
  });
  // Probes and scrapes are tiny: never let a slow client hold a socket for long.
  server.headersTimeout = 10_000;
  server.requestTimeout = 10_000;

  await new Promise<void>((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException) => reject(new Error(`ops server cannot listen on ${options.address}: ${error.code ?? error.message}`, { cause: error }));
    server.once('error', onError);
    server.listen({ host, port }, () => {
      server.off('error', onError);
      resolve();
    });
  });
  server.on('error', (error) => logger.error('ops server error', { error }));
  const bound = (server.address() as AddressInfo).port;
  logger.info('ops server listening', { address: options.address, port: bound });

  let closing: Promise<void> | undefined;
  return {
    port: bound,
    close: () =>
      (closing ??= new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        // Prometheus keeps its scrape connection alive; close() alone would wait for it to time out.
        server.closeAllConnections();
      })),
  };
}

function send(res: ServerResponse, status: number, body: string, contentType = 'text/plain; charset=utf-8'): void {
  res.writeHead(status, { 'content-type': contentType, 'content-length': Buffer.byteLength(body), 'cache-control': 'no-store' });
  res.end(res.req.method === 'HEAD' ? undefined : body);
}
