import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { createServer as createNetServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEdge, type RunningEdge } from '../support/start-server';

// A webhook delivered for real: the edge (wrangler dev, its Durable Object alarm as the clock) POSTs to a
// receiver on 127.0.0.1 that fails the first attempt; the retry carries the same webhook-id, both verify.
const root = join(import.meta.dirname, '..', '..');
const RDS = 'type.googleapis.com/envoy.config.route.v3.RouteConfiguration';
const CDS = 'type.googleapis.com/envoy.config.cluster.v3.Cluster';
const EDS = 'type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment';
const LDS = 'type.googleapis.com/envoy.config.listener.v3.Listener';

interface Received {
  headers: IncomingHttpHeaders;
  body: string;
  at: number;
}

/** A free TCP port in 20000-40000 (several control planes run side by side). */
async function freePort(): Promise<number> {
  for (;;) {
    const port = 20000 + Math.floor(Math.random() * 20000);
    const free = await new Promise<boolean>((resolve) => {
      const probe = createNetServer().once('error', () => resolve(false));
      probe.listen(port, '127.0.0.1', () => probe.close(() => resolve(true)));
    });
    if (free) return port;
  }
}

async function until<T>(what: string, check: () => Promise<T | undefined> | T | undefined, ms = 30_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** docs/webhooks.md's `verifyWebhook` (the js block of its "Verifying a delivery" section), loaded as written. */
async function readmeVerifier(): Promise<{ verifyWebhook: (secret: string, headers: IncomingHttpHeaders, body: string) => boolean }> {
  const readme = readFileSync(join(root, 'docs', 'webhooks.md'), 'utf8');
  const section = readme.slice(readme.indexOf('## Verifying a delivery'));
  const code = /```js\n([\s\S]*?)```/.exec(section)![1]!;
  const file = join(mkdtempSync(join(tmpdir(), 'xdsflare-readme-')), 'verify.mjs');
  writeFileSync(file, code);
  return import(pathToFileURL(file).href);
}

const manifest = (ns: string) => `
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: hooks, namespace: ${ns}}
spec:
  hosts: [hooks.${ns}.svc.cluster.local]
  location: MESH_INTERNAL
  resolution: STATIC
  ports: [{number: 8080, name: http, protocol: HTTP}]
  endpoints: [{address: 10.1.0.1}]
`;

describe('webhooks against the real control plane', () => {
  let edge: RunningEdge | undefined;
  let receiver: Server;
  let receiverUrl: string;
  const received: Received[] = [];
  let token: string;

  beforeAll(async () => {
    receiver = createServer((req, res) => {
      let body = '';
      req.setEncoding('utf8');
      req.on('data', (d) => (body += d));
      req.on('end', () => {
        received.push({ headers: req.headers, body, at: Date.now() });
        // The first attempt fails: the dispatcher must retry.
        res.writeHead(received.length === 1 ? 500 : 200, { 'content-type': 'text/plain' }).end(received.length === 1 ? 'receiver is warming up' : 'ok');
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    const address = receiver.address();
    receiverUrl = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}/xdsflare`;
    edge = await startEdge(await freePort(), { env: { XDSFLARE_NO_BRIDGE: '1' } });
    token = /^ADMIN_TOKEN=(.*)$/m.exec(readFileSync(join(root, '.dev.vars'), 'utf8'))![1]!.trim();
  }, 120_000);

  afterAll(async () => {
    await edge?.stop();
    await new Promise((resolve) => receiver?.close(resolve));
  });

  const api = async (method: string, path: string, body?: unknown, contentType = 'application/json') => {
    const res = await fetch(`${edge!.base}/api/v1${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body !== undefined ? { 'content-type': contentType } : {}) },
      ...(body !== undefined ? { body: typeof body === 'string' ? body : JSON.stringify(body) } : {}),
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined };
  };

  it('delivers revision.converged when a bridge report makes the revision converge, retrying a 500 with the same webhook-id', async () => {
    const created = await api('PUT', '/webhooks/ci', { url: receiverUrl, events: ['revision.converged', 'revision.rejected'] });
    expect(created.status).toBe(201);
    const secret = created.body.secret as string;
    expect(secret).toMatch(/^whsec_/);

    const applied = await api('POST', '/apply', manifest(`hooks-${Date.now()}`), 'application/yaml');
    expect(applied.status).toBe(201);
    const revision = applied.body.revision as number;

    // A bridge reports one client that acknowledged every type served from this revision.
    const types = Object.fromEntries([CDS, EDS, LDS, RDS].map((t) => [t, { acked: 'v1', served: 'v1', served_revision: revision, nack: null }]));
    const report = { bridge: 'bridge-webhooks', proxies: [{ node_id: 'hook-client-1', view: 'grpc|mesh', last_seen: new Date().toISOString(), types }] };
    expect((await api('POST', '/proxies/status', report)).status).toBe(204);

    await until('the retry to arrive', () => (received.length >= 2 ? true : undefined));
    const [first, retry] = received as [Received, Received];
    expect(retry.headers['webhook-id']).toBe(first.headers['webhook-id']);
    expect(retry.body).toBe(first.body);
    expect(retry.at).toBeGreaterThan(first.at);
    for (const r of [first, retry]) {
      expect(r.headers['content-type']).toBe('application/json');
      expect(r.headers['x-xdsflare-event']).toBe('revision.converged');
      const headers = { 'webhook-id': String(r.headers['webhook-id']), 'webhook-timestamp': String(r.headers['webhook-timestamp']), 'webhook-signature': String(r.headers['webhook-signature']) };
      // Verified by the reference implementation with the secret the PUT returned.
      expect(new Webhook(secret).verify(r.body, headers)).toMatchObject({
        id: headers['webhook-id'],
        type: 'revision.converged',
        data: { revision, phase: 'converged', counts: { converged: 1, rejected: 0, pending: 0 }, author: 'admin' },
      });
    }

    const deliveries = await until('the delivery to be recorded as delivered', async () => {
      const { body } = await api('GET', '/webhooks/ci/deliveries');
      return body.items[0]?.status === 'delivered' ? body.items : undefined;
    });
    expect(deliveries).toEqual([{ id: first.headers['webhook-id'], event: 'revision.converged', status: 'delivered', attempts: 2, lastStatus: 200, lastError: null, createdAt: expect.any(String), deliveredAt: expect.any(String), nextAttemptAt: null }]);

    // The docs' hand-written verifier agrees, and refuses a changed body.
    const { verifyWebhook } = await readmeVerifier();
    expect(verifyWebhook(secret, retry.headers, retry.body)).toBe(true);
    expect(verifyWebhook(secret, retry.headers, retry.body.replace('"converged"', '"rejected"'))).toBe(false);

    // Reported again: the revision's outcome is recorded, no second event.
    expect((await api('POST', '/proxies/status', report)).status).toBe(204);
    await new Promise((r) => setTimeout(r, 1500));
    expect(received).toHaveLength(2);
  });
});
