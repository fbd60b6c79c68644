// The Dockerfile, the Kubernetes manifests, deploy/README.md's bootstraps and gateway/config.ts each
// restate the same ports, paths and names. Nothing fails loudly when they drift apart (a probe on the
// wrong port just restarts pods forever), so this test holds them to each other.
import { validateBootstrapConfig } from '@grpc/grpc-js-xds/build/src/xds-bootstrap';
import { readdirSync, readFileSync } from 'node:fs';
import { join, posix } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import { BRIDGE_CONFIG_DEFAULTS, bridgeUsage, loadBridgeConfig, parseHostPort } from '../../gateway/config';
import { envoyRegistry } from '../support/envoy-registry';

const root = join(import.meta.dirname, '..', '..');
const dir = join(root, 'deploy', 'kubernetes');
const read = (...path: string[]) => readFileSync(join(root, ...path), 'utf8');
type Obj = Record<string, any>; // parsed YAML: shape asserted by the checks below

const manifests: Record<string, Obj[]> = Object.fromEntries(
  readdirSync(dir)
    .filter((f) => f.endsWith('.yaml'))
    .map((f) => [f, parseAllDocuments(readFileSync(join(dir, f), 'utf8')).map((d) => d.toJS({ maxAliasCount: -1 }) as Obj)]),
);
const one = (kind: string): Obj => {
  const found = Object.values(manifests).flat().filter((m) => m.kind === kind);
  expect(found, kind).toHaveLength(1);
  return found[0]!;
};
const deployment = one('Deployment');
const service = one('Service');
const secret = one('Secret');
const pdb = one('PodDisruptionBudget');
const pod = deployment.spec.template;
const container = pod.spec.containers.find((c: Obj) => c.name === 'bridge');
const containerPort = (name: string): number => container.ports.find((p: Obj) => p.name === name).containerPort;
const resolvePort = (port: string | number): number => (typeof port === 'number' ? port : containerPort(port));
const subset = (selector: Obj, labels: Obj) => Object.entries(selector).every(([k, v]) => labels[k] === v);

/** The runtime (last) stage of the Dockerfile: FROM images, ENV, EXPOSE, USER, COPY, ENTRYPOINT. */
function dockerfileRuntime() {
  const lines = read('Dockerfile').split('\n').filter((l) => !/^\s*#/.test(l));
  const instructions = lines.join('\n').replace(/\\\n/g, ' ').split('\n').filter((l) => l.trim());
  const froms = instructions.filter((l) => /^FROM\s/i.test(l)).map((l) => l.split(/\s+/)[1]!);
  const last = instructions.findLastIndex((l) => /^FROM\s/i.test(l));
  const stage = instructions.slice(last + 1).map((l) => /^(\w+)\s+(.*)$/.exec(l.trim())!).map((m) => [m[1]!.toUpperCase(), m[2]!.trim()] as const);
  const args = (name: string) => stage.filter(([n]) => n === name).map(([, a]) => a);
  const env = Object.fromEntries(args('ENV').flatMap((a) => a.split(/\s+/).map((kv) => kv.split('=') as [string, string])));
  const copies = args('COPY').map((a) => a.split(/\s+/).at(-1)!);
  return { froms, env, copies, expose: args('EXPOSE').flatMap((a) => a.split(/\s+/)).map((p) => Number(p.replace(/\/tcp$/, ''))), user: args('USER').at(-1), entrypoint: JSON.parse(args('ENTRYPOINT').at(-1)!) as string[] };
}
const docker = dockerfileRuntime();

/** What the bridge in the pod sees: config defaults, then the image's ENV, then the Deployment's env. */
function podEnv(): Record<string, string> {
  const env: Record<string, string> = { ...docker.env };
  for (const e of container.env as Obj[]) env[e.name] = e.value ?? (e.valueFrom?.fieldRef ? 'pod-from-downward-api' : undefined);
  return env;
}
const tokenFile = podEnv().XDSFLARE_TOKEN_FILE!;
/** The mounted TLS files the bridge checks at start (the Secret the Deployment mounts). */
const tlsFiles = ['XDSFLARE_ADS_TLS_CERT_FILE', 'XDSFLARE_ADS_TLS_KEY_FILE', 'XDSFLARE_ADS_CLIENT_CA_FILE'].map((name) => podEnv()[name]);
const config = loadBridgeConfig([], podEnv(), {
  readFile: (path) => (path === tokenFile ? 'xf_test' : tlsFiles.includes(path) ? '-----BEGIN PLACEHOLDER-----\n' : (() => { throw new Error(`unexpected read of ${path}`); })()),
  hostname: () => 'host',
});

describe('the Deployment and the bridge configuration', () => {
  it('sets an environment the bridge accepts', () => {
    expect(config.edgeUrl).toMatch(/^https:\/\//);
    expect(config.bridgeId).toBe('pod-from-downward-api');
  });

  it('declares container ports equal to the ports the bridge listens on, on every interface', () => {
    const ads = parseHostPort(config.adsAddress);
    const ops = parseHostPort(config.opsAddress);
    expect(containerPort('grpc-xds')).toBe(ads.port);
    expect(containerPort('http-ops')).toBe(ops.port);
    // A loopback address would pass every probe from inside the pod and refuse every other pod.
    for (const { host } of [ads, ops]) expect(['0.0.0.0', '::']).toContain(host);
  });

  it('probes /readyz and /healthz on the ops port', () => {
    const ops = parseHostPort(config.opsAddress).port;
    expect(container.readinessProbe.httpGet.path).toBe('/readyz');
    expect(container.livenessProbe.httpGet.path).toBe('/healthz');
    expect(resolvePort(container.readinessProbe.httpGet.port)).toBe(ops);
    expect(resolvePort(container.livenessProbe.httpGet.port)).toBe(ops);
  });

  it('gives the pod more grace than its preStop pause and the drain timeout together', () => {
    // The pause runs before SIGTERM, inside the same grace period (Kubernetes' pod termination).
    const pause = container.lifecycle.preStop.exec.command;
    expect(pause[0]).toBe('sleep');
    expect(Number(pause[1])).toBeGreaterThanOrEqual(1);
    expect(pod.spec.terminationGracePeriodSeconds * 1000).toBeGreaterThan(Number(pause[1]) * 1000 + config.drainTimeoutMs);
    expect(config.drainTimeoutMs).toBe(Number(podEnv().XDSFLARE_DRAIN_TIMEOUT_MS ?? BRIDGE_CONFIG_DEFAULTS.drainTimeoutMs));
  });

  it('mounts the token file from the Secret key the Secret holds', () => {
    const volume = pod.spec.volumes.find((v: Obj) => v.secret);
    expect(volume.secret.secretName).toBe(secret.metadata.name);
    const item = volume.secret.items.find((i: Obj) => i.key === 'token');
    expect({ ...secret.stringData, ...secret.data }).toHaveProperty(item.key);
    const mount = container.volumeMounts.find((m: Obj) => m.name === volume.name);
    expect(posix.join(mount.mountPath, item.path)).toBe(tokenFile);
    expect(mount.readOnly).toBe(true);
  });

  it('keeps the state file on a writable volume, since the root file system is read-only', () => {
    const mount = container.volumeMounts.find((m: Obj) => config.stateFile?.startsWith(`${m.mountPath}/`));
    expect(mount, `no volume holds ${config.stateFile}`).toBeTruthy();
    expect(mount.readOnly).not.toBe(true);
    expect(pod.spec.volumes.find((v: Obj) => v.name === mount.name).emptyDir).toBeDefined();
  });

  it('runs non-root, read-only, without capabilities or privilege escalation', () => {
    expect(pod.spec.securityContext.runAsNonRoot).toBe(true);
    expect(container.securityContext).toMatchObject({ runAsNonRoot: true, readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } });
  });

  it('lets Prometheus scrape /metrics on the ops port', () => {
    const annotations = pod.metadata.annotations;
    expect(annotations['prometheus.io/scrape']).toBe('true');
    expect(Number(annotations['prometheus.io/port'])).toBe(parseHostPort(config.opsAddress).port);
    expect(annotations['prometheus.io/path']).toBe('/metrics');
  });
});

describe('selectors, Service and namespace', () => {
  it('selects the pods from the Deployment, Service, PodDisruptionBudget and anti-affinity', () => {
    const labels = pod.metadata.labels;
    expect(subset(deployment.spec.selector.matchLabels, labels)).toBe(true);
    expect(subset(service.spec.selector, labels)).toBe(true);
    expect(subset(pdb.spec.selector.matchLabels, labels)).toBe(true);
    const affinity = pod.spec.affinity.podAntiAffinity.preferredDuringSchedulingIgnoredDuringExecution[0].podAffinityTerm;
    expect(subset(affinity.labelSelector.matchLabels, labels)).toBe(true);
    expect(pdb.spec.minAvailable).toBeLessThan(deployment.spec.replicas);
  });

  it('exposes grpc-xds and http-ops on the ports the container declares', () => {
    const port = (name: string) => service.spec.ports.find((p: Obj) => p.name === name);
    expect(port('grpc-xds')).toMatchObject({ port: 18000, appProtocol: 'grpc' });
    expect(port('http-ops')).toMatchObject({ port: 18001 });
    expect(resolvePort(port('grpc-xds').targetPort)).toBe(containerPort('grpc-xds'));
    expect(resolvePort(port('http-ops').targetPort)).toBe(containerPort('http-ops'));
  });

  it('puts every object in xdsflare-system', () => {
    for (const m of Object.values(manifests).flat().filter((m) => m.kind !== 'Kustomization' && m.kind !== 'Namespace')) expect(m.metadata.namespace, m.kind).toBe('xdsflare-system');
    expect(one('Namespace').metadata.name).toBe('xdsflare-system');
  });

  it('lists every manifest in the kustomization except the example Secret, which would overwrite the real one, and the cert-manager Certificate, which needs its CRDs', () => {
    const resources: string[] = one('Kustomization').resources;
    expect(resources.sort()).toEqual(Object.keys(manifests).filter((f) => !['kustomization.yaml', 'secret.yaml', 'certificate.yaml'].includes(f)).sort());
    expect(JSON.stringify(secret.stringData)).toMatch(/REPLACE_ME/);
  });

  it('serves ADS with mTLS from the mounted Secret the Certificate writes, never plaintext', () => {
    expect(config.adsAllowPlaintext).toBe(false);
    expect(config.adsClientCaFile).toBeDefined();
    const certificate = one('Certificate');
    const volume = pod.spec.volumes.find((v: Obj) => v.secret?.secretName === certificate.spec.secretName);
    const mount = container.volumeMounts.find((m: Obj) => m.name === volume.name);
    expect(mount.readOnly).toBe(true);
    for (const file of [config.adsTlsCertFile, config.adsTlsKeyFile, config.adsClientCaFile]) {
      expect(posix.dirname(file!)).toBe(mount.mountPath);
      expect(volume.secret.items.map((i: Obj) => i.path)).toContain(posix.basename(file!));
    }
    // The names clients dial: the Service's DNS names.
    expect(certificate.spec.dnsNames).toContain(`${service.metadata.name}.${service.metadata.namespace}.svc`);
  });
});

describe('the Dockerfile and the manifests', () => {
  it('builds on an official Node 24 image pinned to a minor release, the same in every stage', () => {
    expect(new Set(docker.froms).size).toBe(1);
    expect(docker.froms[0]).toMatch(/^node:24\.\d+-[a-z]+(-slim)?$/);
  });

  it('exposes the container ports and listens where the Deployment expects', () => {
    expect(docker.expose.sort()).toEqual(container.ports.map((p: Obj) => p.containerPort).sort());
    expect(parseHostPort(docker.env.XDSFLARE_ADS_ADDRESS!).port).toBe(containerPort('grpc-xds'));
    expect(parseHostPort(docker.env.XDSFLARE_OPS_ADDRESS!).port).toBe(containerPort('http-ops'));
    expect(docker.env.NODE_ENV).toBe('production');
  });

  it('runs as the numeric non-root user the pod declares', () => {
    const [uid, gid] = docker.user!.split(':').map(Number);
    expect(uid).toBeGreaterThan(0);
    expect(pod.spec.securityContext.runAsUser).toBe(uid);
    if (gid !== undefined) expect(pod.spec.securityContext.runAsGroup).toBe(gid);
  });

  it('starts the bundle it copies and points XDSFLARE_DESCRIPTORS at the descriptors it copies', () => {
    expect(docker.entrypoint).toEqual(['node', '/app/bridge.mjs']);
    expect(docker.copies).toContain(docker.entrypoint[1]);
    expect(docker.copies).toContain(docker.env.XDSFLARE_DESCRIPTORS);
  });

  it('keeps secrets and local state out of the build context', () => {
    const ignored = read('.dockerignore').split('\n').map((l) => l.trim());
    for (const path of ['.dev.vars', '.env', 'node_modules', '.wrangler', '.git']) expect(ignored).toContain(path);
  });
});

describe('deploy/README.md', () => {
  const readme = read('deploy', 'README.md');
  const serviceHost = `${service.metadata.name}.${service.metadata.namespace}.svc.cluster.local`;
  const adsPort = service.spec.ports.find((p: Obj) => p.name === 'grpc-xds').port;

  it('has an Envoy ADS bootstrap that is a valid Bootstrap aimed at the Service', () => {
    const block = /```yaml\n(# envoy-ads-bootstrap\.yaml[\s\S]*?)```/.exec(readme)?.[1];
    const bootstrap = parse(block!);
    envoyRegistry().decodeStrict({ '@type': 'type.googleapis.com/envoy.config.bootstrap.v3.Bootstrap', ...bootstrap });
    const xds = bootstrap.static_resources.clusters.find((c: Obj) => c.name === bootstrap.dynamic_resources.ads_config.grpc_services[0].envoy_grpc.cluster_name);
    expect(xds.load_assignment.endpoints[0].lb_endpoints[0].endpoint.address.socket_address).toEqual({ address: serviceHost, port_value: adsPort });
    expect(xds.typed_extension_protocol_options['envoy.extensions.upstreams.http.v3.HttpProtocolOptions'].explicit_http_config.http2_protocol_options).toBeDefined();
  });

  it('has a gRPC xDS bootstrap that grpc-js-xds accepts, aimed at the Service', () => {
    const block = /```json\n([\s\S]*?"xds_servers"[\s\S]*?)```/.exec(readme)?.[1];
    const bootstrap = validateBootstrapConfig(JSON.parse(block!));
    expect(bootstrap.xdsServers[0]!.server_uri).toBe(`${serviceHost}:${adsPort}`);
  });

  it('documents every XDSFLARE_* setting the bridge reads', () => {
    for (const name of new Set(bridgeUsage().match(/XDSFLARE_[A-Z_]+/g))) expect(readme).toContain(`| \`${name}\` |`);
  });
});
