import { create, fromBinary, fromJson, toBinary, toJson } from '@bufbuild/protobuf';
import * as grpc from '@grpc/grpc-js';
import { validateBootstrapConfig } from '@grpc/grpc-js-xds/build/src/xds-bootstrap';
import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RESOURCE_TYPES, SECRET_TYPE_URL } from '../../xds';
import { SotwAdsClient, DeltaAdsClient } from '../support/ads-test-client';
import { envoyProtos, xdsEchoClient } from '../support/bridge-fixtures';
import { makeMeshCerts, type CertFiles, type MeshCerts } from '../support/spiffe-certs';
import { adminApi, startEdge, type RunningEdge } from '../support/start-server';
import { SECRET_YAML } from '../edge/tls-manifests';

// Zero trust for proxies, end to end (issue 13, part 1): `npm start`'s edge (workerd, real D1) and the
// bridge serving ADS over TLS with client certificates the test makes with openssl (SPIFFE IDs in the URI
// SAN), tokens bound to identities, and identity policies stored through the API. Every refusal is
// checked for what matters: the stream ends with the status, and not one response (no Cluster, no Secret)
// reached the client before it.
const TRUST = 'cluster.local';
const INGRESS = `spiffe://${TRUST}/ns/gw/sa/ingress`;
const WEB = `spiffe://${TRUST}/ns/shop/sa/web`;
const GATEWAY_LABELS = { istio: 'ingressgateway' };
const SECRET = 'kubernetes://shop-cert';
const API_CLUSTER = 'outbound|80||api.shop.example.com';

const MESH = `
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: api, namespace: shop}
spec:
  hosts: [api.shop.example.com]
  location: MESH_EXTERNAL
  resolution: DNS
  ports: [{number: 80, name: http, protocol: HTTP}]
---
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: ingress, namespace: gw}
spec:
  selector: {istio: ingressgateway}
  servers:
  - port: {number: 443, name: https, protocol: HTTPS}
    hosts: [shop.example.com]
    tls: {mode: SIMPLE, credentialName: shop-cert}
`;

const protos = envoyProtos();
const SERVICE = '/envoy.service.discovery.v3.AggregatedDiscoveryService';

interface Node {
  id: string;
  namespace?: string;
  labels?: Record<string, string>;
}

/**
 * A bare SotW ADS stream as Envoy opens one (CDS wildcard, LDS wildcard, SDS by name), ACKing every
 * response, with TLS credentials and call metadata as given; it records everything it receives.
 */
function adsStream(port: number, node: Node, options: { credentials?: grpc.ChannelCredentials; metadata?: Record<string, string> } = {}) {
  // The bridge's certificate names localhost too: TLS takes no IP address as a server name (RFC 6066).
  const client = new grpc.Client(`127.0.0.1:${port}`, options.credentials ?? grpc.credentials.createInsecure(), { 'grpc.ssl_target_name_override': 'localhost' });
  const metadata = new grpc.Metadata();
  for (const [k, v] of Object.entries(options.metadata ?? {})) metadata.set(k, v);
  const call = client.makeBidiStreamRequest(`${SERVICE}/StreamAggregatedResources`, (b: Buffer) => b, (b: Buffer) => b, metadata);
  const received: { type: string; names: string[] }[] = [];
  const send = (init: Record<string, unknown>) => call.write(Buffer.from(toBinary(protos.discoveryRequest, create(protos.discoveryRequest, init as never))));
  const names = { [RESOURCE_TYPES.clusters]: [], [RESOURCE_TYPES.listeners]: [], [SECRET_TYPE_URL]: [SECRET] } as Record<string, string[]>;
  call.on('data', (bytes: Buffer) => {
    const res = toJson(protos.discoveryResponse, fromBinary(protos.discoveryResponse, bytes), { registry: protos.envoy.registry, useProtoFieldName: true }) as Record<string, any>;
    received.push({ type: res.type_url, names: (res.resources ?? []).map((r: Record<string, unknown>) => String(r.name)) });
    send({ typeUrl: res.type_url, versionInfo: res.version_info, responseNonce: res.nonce, resourceNames: names[res.type_url] ?? [] });
  });
  call.on('error', () => {});
  const status = new Promise<grpc.StatusObject>((resolve) => call.on('status', resolve));
  const nodeMessage = fromJson(protos.node, { id: node.id, user_agent_name: 'envoy', metadata: { labels: node.labels ?? {}, ...(node.namespace ? { NAMESPACE: node.namespace } : {}) } }, { registry: protos.envoy.registry });
  send({ node: nodeMessage, typeUrl: RESOURCE_TYPES.clusters });
  send({ typeUrl: RESOURCE_TYPES.listeners });
  send({ typeUrl: SECRET_TYPE_URL, resourceNames: [SECRET] });
  const of = (type: string) => received.filter((r) => r.type === type).flatMap((r) => r.names);
  return {
    received,
    status,
    clusters: () => of(RESOURCE_TYPES.clusters),
    listeners: () => of(RESOURCE_TYPES.listeners),
    secrets: () => of(SECRET_TYPE_URL),
    close: () => (call.cancel(), client.close()),
  };
}

async function until(check: () => boolean, what: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('zero trust for proxies: mTLS and tokens at the bridge, identity policies at the edge', () => {
  let cp: RunningEdge;
  let certs: MeshCerts;
  let ingressCert: CertFiles;
  let webCert: CertFiles;
  const tokens: Record<string, string> = {};
  const api = adminApi(() => cp.base);
  const mtls = (c?: CertFiles) => grpc.credentials.createSsl(certs.read(certs.caFile), c ? certs.read(c.key) : null, c ? certs.read(c.cert) : null);
  const port = () => cp.bridge!.adsPort;
  const poll = async (type: 'clusters' | 'secrets', token: string, node: Node) => {
    const body = { node: { id: node.id, metadata: { xds_token: token, labels: node.labels ?? {}, ...(node.namespace ? { NAMESPACE: node.namespace } : {}) } }, type_url: type === 'secrets' ? SECRET_TYPE_URL : RESOURCE_TYPES.clusters, ...(type === 'secrets' ? { resource_names: [SECRET] } : {}) };
    const res = await fetch(`${cp.base}/v3/discovery:${type}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    return { status: res.status, body: (await res.json()) as Record<string, any> };
  };

  beforeAll(async () => {
    certs = makeMeshCerts();
    ingressCert = certs.workload('ingress', INGRESS);
    webCert = certs.workload('web', WEB);
    cp = await startEdge(8797, {
      env: {
        XDSFLARE_ADS_TLS_CERT_FILE: certs.server.cert,
        XDSFLARE_ADS_TLS_KEY_FILE: certs.server.key,
        XDSFLARE_ADS_CLIENT_CA_FILE: certs.caFile,
        XDSFLARE_TRUST_DOMAIN: TRUST,
        XDSFLARE_ADS_ALLOW_PLAINTEXT: 'false',
        XDSFLARE_POLL_INTERVAL_MS: '300',
      },
    });
    await api('PUT', '/api/v1/namespaces/gw/secrets/shop-cert', SECRET_YAML('shop-cert', 'gw'));
    await api('POST', '/api/v1/apply', MESH);
    await api('PUT', '/api/v1/identity-policies/ingress', { identity: INGRESS, gatewaySelectors: [GATEWAY_LABELS] });
    for (const [name, identity, scopes] of [
      ['ingress-proxy', INGRESS, ['xds:read', 'secrets:read']],
      ['web-proxy', WEB, ['xds:read', 'secrets:read']],
    ] as const) {
      tokens[name] = (await api('POST', '/api/v1/tokens', { name, scopes, identity })).token;
    }
    tokens.unbound = (await api('POST', '/api/v1/tokens', { name: 'fleet', scopes: ['xds:read'] })).token;
  }, 120_000);
  afterAll(async () => {
    await cp?.stop();
  });

  it('a Gateway identity with a client certificate gets its Gateway view, its Secret included, over SotW and delta', async () => {
    const raw = adsStream(port(), { id: 'ingress-1', namespace: 'gw', labels: GATEWAY_LABELS }, { credentials: mtls(ingressCert) });
    const delta = new DeltaAdsClient({ port: port(), node: { id: 'ingress-2', namespace: 'gw', labels: GATEWAY_LABELS }, credentials: mtls(ingressCert), serverName: 'localhost' });
    try {
      await until(() => raw.secrets().includes(SECRET) && raw.listeners().length > 0 && raw.clusters().includes(API_CLUSTER), 'the gateway view with its Secret');
      await delta.waitFor((c) => c.heldNames('clusters').includes(API_CLUSTER) && c.heldNames('listeners').length > 0, 15_000, 'the delta client to hold the gateway view');
      expect(delta.violations).toEqual([]);
    } finally {
      raw.close();
      delta.close();
    }
  }, 30_000);

  it('a sidecar identity without a policy gets the mesh view of its own namespace and no Secret', async () => {
    const raw = adsStream(port(), { id: 'web-1', namespace: 'shop' }, { credentials: mtls(webCert) });
    const sotw = new SotwAdsClient({ port: port(), node: { id: 'web-2', namespace: 'shop' }, credentials: mtls(webCert), serverName: 'localhost' });
    try {
      await until(() => raw.clusters().includes(API_CLUSTER) && raw.received.some((r) => r.type === SECRET_TYPE_URL), 'the mesh view and its SDS answer');
      await sotw.waitFor((c) => c.heldNames('clusters').includes(API_CLUSTER), 15_000, 'the Envoy-like client to hold the mesh view');
      expect(raw.secrets()).toEqual([]);
      expect(raw.listeners().some((l) => /443/.test(l))).toBe(false);
    } finally {
      raw.close();
      sotw.close();
    }
  }, 30_000);

  describe('gets nothing at all: the status, and not one response before it', () => {
    const refusals: [string, () => { node: Node; credentials?: grpc.ChannelCredentials; metadata?: Record<string, string> }, grpc.status, RegExp][] = [
      ['no client certificate and no token', () => ({ node: { id: 'anon', namespace: 'shop' }, credentials: mtls() }), grpc.status.UNAUTHENTICATED, /serves authenticated clients only/],
      ['a certificate from another CA', () => ({ node: { id: 'rogue', namespace: 'gw', labels: GATEWAY_LABELS }, credentials: mtls(certs.workload('rogue', INGRESS, { rogue: true })) }), grpc.status.UNAUTHENTICATED, /serves authenticated clients only/],
      ['a certificate of another trust domain (same CA)', () => ({ node: { id: 'foreign', namespace: 'gw', labels: GATEWAY_LABELS }, credentials: mtls(certs.workload('foreign', 'spiffe://other.example/ns/gw/sa/ingress')) }), grpc.status.UNAUTHENTICATED, /trust domain other\.example; this bridge trusts cluster\.local/],
      ['a certificate without a SPIFFE ID', () => ({ node: { id: 'nospiffe', namespace: 'gw' }, credentials: mtls(certs.workload('nospiffe', 'https://example.com/ingress')) }), grpc.status.UNAUTHENTICATED, /not a SPIFFE ID/],
      ["another identity's Gateway labels", () => ({ node: { id: 'web-as-gw', namespace: 'shop', labels: GATEWAY_LABELS }, credentials: mtls(webCert) }), grpc.status.PERMISSION_DENIED, /node\.metadata\.labels: the labels select Gateway gw\/ingress/],
      ["another identity's namespace", () => ({ node: { id: 'web-in-gw', namespace: 'gw' }, credentials: mtls(webCert) }), grpc.status.PERMISSION_DENIED, /node\.metadata\.NAMESPACE: namespace 'gw' is outside identity spiffe:\/\/cluster\.local\/ns\/shop\/sa\/web/],
      ['no namespace at all', () => ({ node: { id: 'web-nowhere' }, credentials: mtls(webCert) }), grpc.status.PERMISSION_DENIED, /must name its namespace/],
      ['an unknown token', () => ({ node: { id: 'bad-token', namespace: 'gw', labels: GATEWAY_LABELS }, credentials: mtls(), metadata: { authorization: 'Bearer xf_0000' } }), grpc.status.UNAUTHENTICATED, /the edge refused the token: invalid token/],
      ['a token bound to no identity', () => ({ node: { id: 'fleet', namespace: 'gw', labels: GATEWAY_LABELS }, credentials: mtls(), metadata: { authorization: `Bearer ${tokens.unbound}` } }), grpc.status.PERMISSION_DENIED, /not bound to a workload identity/],
      ["a token of one identity claiming another's Gateway", () => ({ node: { id: 'web-token-as-gw', namespace: 'shop', labels: GATEWAY_LABELS }, credentials: mtls(), metadata: { authorization: `Bearer ${tokens['web-proxy']}` } }), grpc.status.PERMISSION_DENIED, /Gateway gw\/ingress/],
    ];
    it.each(refusals)('%s', async (_what, make, code, details) => {
      const { node, ...options } = make();
      const stream = adsStream(port(), node, options);
      try {
        const status = await stream.status;
        expect({ code: grpc.status[status.code], details: status.details }).toMatchObject({ code: grpc.status[code], details: expect.stringMatching(details) });
        expect(stream.received).toEqual([]);
      } finally {
        stream.close();
      }
    }, 20_000);

    it('plaintext to the TLS port: the handshake fails, nothing is read', async () => {
      const stream = adsStream(port(), { id: 'plain', namespace: 'gw', labels: GATEWAY_LABELS });
      try {
        expect((await stream.status).code).toBe(grpc.status.UNAVAILABLE);
        expect(stream.received).toEqual([]);
      } finally {
        stream.close();
      }
    }, 20_000);
  });

  it('a token bound to the Gateway identity, over TLS without a client certificate, gets the Gateway view and its Secret', async () => {
    const raw = adsStream(port(), { id: 'ingress-token', namespace: 'gw', labels: GATEWAY_LABELS }, { credentials: mtls(), metadata: { authorization: `Bearer ${tokens['ingress-proxy']}` } });
    try {
      await until(() => raw.secrets().includes(SECRET) && raw.clusters().includes(API_CLUSTER), 'the gateway view with its Secret');
    } finally {
      raw.close();
    }
  }, 30_000);

  it('a policy deleted while its proxies are connected ends their streams with PERMISSION_DENIED; put back, they are served again', async () => {
    const raw = adsStream(port(), { id: 'ingress-revoked', namespace: 'gw', labels: GATEWAY_LABELS }, { credentials: mtls(ingressCert) });
    try {
      await until(() => raw.secrets().includes(SECRET), 'the Secret');
      await api('DELETE', '/api/v1/identity-policies/ingress').catch((err: Error) => {
        // DELETE answers 204 without a body, which adminApi cannot parse as JSON.
        if (!/JSON/.test(err.message)) throw err;
      });
      const status = await raw.status;
      expect(grpc.status[status.code]).toBe('PERMISSION_DENIED');
      expect(status.details).toMatch(/Gateway gw\/ingress .*no identity policy allows it Gateways/);
    } finally {
      raw.close();
      await api('PUT', '/api/v1/identity-policies/ingress', { identity: INGRESS, gatewaySelectors: [GATEWAY_LABELS] });
    }
    const again = adsStream(port(), { id: 'ingress-back', namespace: 'gw', labels: GATEWAY_LABELS }, { credentials: mtls(ingressCert) });
    try {
      await until(() => again.secrets().includes(SECRET), 'the Secret again');
    } finally {
      again.close();
    }
  }, 40_000);

  it('REST pollers with identity-bound tokens: their view, and 403 naming the claim outside it, with nothing served', async () => {
    const own = await poll('clusters', tokens['web-proxy']!, { id: 'rest-web', namespace: 'shop' });
    expect(own.status).toBe(200);
    expect(own.body.resources.map((r: { name: string }) => r.name)).toContain(API_CLUSTER);

    const elsewhere = await poll('clusters', tokens['web-proxy']!, { id: 'rest-web', namespace: 'gw' });
    expect(elsewhere).toMatchObject({ status: 403, body: { errors: [{ path: 'node.metadata.NAMESPACE', message: expect.stringContaining("namespace 'gw' is outside identity") }] } });
    expect(elsewhere.body).not.toHaveProperty('resources');

    const asGateway = await poll('secrets', tokens['web-proxy']!, { id: 'rest-web', namespace: 'shop', labels: GATEWAY_LABELS });
    expect(asGateway).toMatchObject({ status: 403, body: { errors: [{ path: 'node.metadata.labels', message: expect.stringContaining('Gateway gw/ingress') }] } });

    const gateway = await poll('secrets', tokens['ingress-proxy']!, { id: 'rest-gw', namespace: 'gw', labels: GATEWAY_LABELS });
    expect(gateway.status).toBe(200);
    expect(gateway.body.resources.map((r: { name: string }) => r.name)).toEqual([SECRET]);
  }, 30_000);

  describe('proxyless gRPC clients: their bootstraps cannot carry TLS or a token to the xDS server', () => {
    it('@grpc/grpc-js-xds 1.14 refuses channel_creds of type tls, and with insecure it gets nothing from this bridge', async () => {
      const bootstrap = { xds_servers: [{ server_uri: `127.0.0.1:${port()}`, channel_creds: [{ type: 'tls', config: { ca_certificate_file: certs.caFile } }], server_features: [] }], node: { id: 'g' } };
      expect(() => validateBootstrapConfig(bootstrap)).toThrow(/channel_creds field: must contain at least one entry with a type in \[google_default,insecure\]/);
      const client = await xdsEchoClient(port(), 'api.shop.example.com:80', 'grpc-plain');
      try {
        // Its handshake with the TLS port fails; the call ends unserved, by failure or its deadline.
        const failed = await client.call(3000).then(() => undefined, (err: { code: number }) => err.code);
        expect([grpc.status.UNAVAILABLE, grpc.status.DEADLINE_EXCEEDED]).toContain(failed);
      } finally {
        client.close();
      }
    }, 20_000);

    it('gRPC C-core 1.51 refuses channel_creds of type tls in its bootstrap', () => {
      const bootstrap = { xds_servers: [{ server_uri: `127.0.0.1:${port()}`, channel_creds: [{ type: 'tls', config: { ca_certificate_file: certs.caFile } }], server_features: ['xds_v3'] }], node: { id: 'c' } };
      const script = 'import grpc\nch = grpc.insecure_channel("xds:///api.shop.example.com:80")\ntry:\n    grpc.channel_ready_future(ch).result(timeout=2)\n    print("READY")\nexcept grpc.FutureTimeoutError:\n    print("NOT READY")\n';
      const run = spawnSync('/usr/bin/python3', ['-c', script], { env: { ...process.env, GRPC_XDS_BOOTSTRAP_CONFIG: JSON.stringify(bootstrap), GRPC_VERBOSITY: 'ERROR' }, encoding: 'utf8', timeout: 15_000 });
      expect(run.stdout.trim()).toBe('NOT READY');
      expect(run.stderr).toMatch(/channel_creds error:no known creds type found/);
    }, 20_000);
  });
});
