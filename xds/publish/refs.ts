import { PREVIEW_ANNOTATION } from '../intent/preview';
import { withQualifiedHosts } from '../intent/short-names';
import type { IntentObject } from '../intent/types';
import { credentialReferences } from '../secrets/references';
import type { SidecarIntent } from '../intent/kinds';
import { usesProxyNamespace } from '../ir/sidecar-select';
import { isHttpProtocol } from '../translate/hosts';
import { sidecarToIR } from '../translate/sidecars';

/**
 * What an object refers to, as rows the edge indexes (D1 `object_refs`), so a write can find the few
 * objects its change reaches without reading the mesh:
 * - `host` a ServiceEntry declares; `httpport` / `port` its HTTP and other (TCP, TLS) port numbers;
 *   `nshost`: its namespace (what a Sidecar importing `ns/*` reads);
 * - `sidecar`: a namespace whose hosts a Sidecar may import (`*` for every namespace), and its own (so a
 *   change finds the Sidecars whose views it reaches, and a Sidecar the others of its namespace);
 * - `policy`: the host a DestinationRule is for (a `*.suffix` pattern as written: a write reads those that may
 *   match its hosts, see closure.ts policyPatterns);
 * - `vshost`: a mesh-bound VirtualService's host (a `*.suffix` pattern as written); `dest`: a host any
 *   of its routes or mirrors sends to; `binds`: a Gateway it is bound to (`namespace/name`);
 * - `gateway` of a Gateway: itself;
 * - `credential`: the Secret a credentialName resolves to (`namespace/name`; for a Gateway its own
 *   namespace's, though its proxy's may hold it), `credname` the bare name (a Gateway's Secret may be in
 *   any namespace; two namespaces' Secrets of one name would collide in a view), also of a Secret
 *   (so a name finds its Secrets); `secret` of a Secret: itself;
 * - `feature`: something only a full compile renders (EnvoyFilter, exportTo, sourceLabels, locality
 *   load balancing, preview routes, an AUTO_PASSTHROUGH Gateway).
 */
export type RefRole = 'host' | 'httpport' | 'port' | 'nshost' | 'policy' | 'vshost' | 'dest' | 'binds' | 'gateway' | 'sidecar' | 'credential' | 'credname' | 'secret' | 'feature';

export interface ObjectRef {
  role: RefRole;
  ref: string;
}

type Json = Record<string, any>;

const restrictsExport = (spec: Json) => Array.isArray(spec.exportTo) && !spec.exportTo.includes('*');

/** The reasons an object keeps the config on full compiles (empty for most objects). */
export function fullCompileFeatures(o: IntentObject): string[] {
  const spec = (o.spec ?? {}) as Json;
  const features: string[] = [];
  if (o.kind === 'EnvoyFilter') features.push('EnvoyFilter');
  // The mesh default's `.` is each proxy's namespace: it has a view per namespace the config knows, which any new namespace adds to.
  if (o.kind === 'Sidecar' && usesProxyNamespace(sidecarToIR(o as SidecarIntent))) features.push('root-namespace Sidecar importing "./"');
  if (restrictsExport(spec)) features.push('exportTo');
  if (o.kind === 'VirtualService' && JSON.stringify(spec).includes('"sourceLabels"')) features.push('sourceLabels');
  if (o.kind === 'DestinationRule' && JSON.stringify(spec).includes('"localityLbSetting"')) features.push('localityLbSetting');
  // Its chains follow every mesh-internal service the server's hosts admit: which ones a change reaches needs the whole config.
  if (o.kind === 'Gateway' && (spec.servers ?? []).some((s: Json) => s?.tls?.mode === 'AUTO_PASSTHROUGH')) features.push('AUTO_PASSTHROUGH Gateway');
  if (o.metadata.annotations?.[PREVIEW_ANNOTATION] !== undefined) features.push('preview');
  return features;
}

const isMeshBound = (spec: Json) => !spec.gateways?.length || spec.gateways.includes('mesh');

/** Every destination host of a VirtualService's http, tcp and tls rules and mirrors. */
function destinationHosts(spec: Json): string[] {
  const hosts = new Set<string>();
  const add = (d: Json | undefined) => typeof d?.host === 'string' && hosts.add(d.host);
  for (const rule of spec.http ?? []) {
    for (const r of rule?.route ?? []) add(r?.destination);
    add(rule?.mirror);
    for (const m of rule?.mirrors ?? []) add(m?.destination);
  }
  for (const rule of [...(spec.tcp ?? []), ...(spec.tls ?? [])]) for (const r of rule?.route ?? []) add(r?.destination);
  return [...hosts];
}

/** The namespaces whose hosts a Sidecar's egress imports (`*`: any), exclusions left out (they import nothing). */
export function sidecarNamespaces(o: IntentObject): string[] {
  const ir = sidecarToIR(o as SidecarIntent);
  return [...new Set(ir.egress.flatMap((l) => l.hosts.filter((h) => !h.exclude).map((h) => (h.namespace === '.' ? '*' : h.namespace))))];
}

export function refsOf(written: IntentObject): ObjectRef[] {
  // Short host names indexed as what they mean, so a change finds what a short name reaches.
  const o = withQualifiedHosts(written);
  const spec = (o.spec ?? {}) as Json;
  const refs: ObjectRef[] = [];
  const add = (role: RefRole, ref: string) => refs.push({ role, ref });
  switch (o.kind) {
    case 'ServiceEntry':
      for (const h of spec.hosts ?? []) add('host', h);
      for (const p of spec.ports ?? []) add(isHttpProtocol(p.protocol) ? 'httpport' : 'port', String(p.number));
      add('nshost', o.metadata.namespace);
      break;
    case 'DestinationRule':
      add('policy', spec.host);
      break;
    case 'VirtualService':
      if (isMeshBound(spec)) for (const h of spec.hosts ?? []) add('vshost', h);
      for (const h of destinationHosts(spec)) add('dest', h);
      for (const g of spec.gateways ?? []) if (g !== 'mesh') add('binds', g.includes('/') ? g : `${o.metadata.namespace}/${g}`);
      break;
    case 'Gateway':
      add('gateway', `${o.metadata.namespace}/${o.metadata.name}`);
      break;
    case 'Sidecar':
      add('sidecar', o.metadata.namespace);
      for (const ns of sidecarNamespaces(o)) add('sidecar', ns);
      break;
    default:
      if ((o.kind as string) === 'Secret') {
        add('secret', `${o.metadata.namespace}/${o.metadata.name}`);
        add('credname', o.metadata.name);
      }
  }
  for (const c of credentialReferences([o])) {
    add('credential', `${c.namespace}/${c.credentialName}`);
    add('credname', c.credentialName);
  }
  for (const f of fullCompileFeatures(o)) add('feature', f);
  // One row per distinct reference.
  const seen = new Set<string>();
  return refs.filter((r) => {
    const k = `${r.role}\u0000${r.ref}`;
    return !seen.has(k) && (seen.add(k), true);
  });
}
