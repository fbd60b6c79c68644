import type { IntentObject } from '../intent/types';
import type { RenderedView } from '../render/types';
import type { View } from '../ir/view-types';
import { CA_SUFFIX, SDS_PREFIX } from './envoy-secret';

/** One `credentialName` in an intent, resolved to the namespace its Secret must live in. */
export interface CredentialRef {
  /** `Kind/namespace/name` of the referring object. */
  source: string;
  path: string;
  /** The referring object's namespace (see lookupNamespace for where its Secret is looked up). */
  namespace: string;
  credentialName: string;
  /** `namespace/name` of the referring Gateway; absent for a DestinationRule (whose clusters every view gets). */
  gateway?: string;
}

type Json = Record<string, any>;

function tlsRefs(policy: Json | undefined, path: string, push: (path: string, name: unknown) => void): void {
  if (!policy) return;
  push(`${path}.tls.credentialName`, policy.tls?.credentialName);
  (policy.portLevelSettings ?? []).forEach((p: Json, i: number) => push(`${path}.portLevelSettings[${i}].tls.credentialName`, p?.tls?.credentialName));
}

/** Every credentialName in Gateways (`servers[].tls`) and DestinationRules (`trafficPolicy.tls`, per port and subset). */
export function credentialReferences(objects: IntentObject[]): CredentialRef[] {
  const refs: CredentialRef[] = [];
  for (const o of objects) {
    const { namespace, name } = o.metadata;
    const spec = o.spec as Json;
    const source = `${o.kind}/${namespace}/${name}`;
    const push = (path: string, credentialName: unknown, gateway?: string) => {
      if (typeof credentialName === 'string' && credentialName) refs.push({ source, path, namespace, credentialName, ...(gateway ? { gateway } : {}) });
    };
    if (o.kind === 'Gateway') (spec.servers ?? []).forEach((s: Json, i: number) => push(`spec.servers[${i}].tls.credentialName`, s?.tls?.credentialName, `${namespace}/${name}`));
    if (o.kind === 'DestinationRule') {
      tlsRefs(spec.trafficPolicy, 'spec.trafficPolicy', push);
      (spec.subsets ?? []).forEach((s: Json, i: number) => tlsRefs(s?.trafficPolicy, `spec.subsets[${i}].trafficPolicy`, push));
    }
  }
  return refs;
}

/**
 * The namespace a reference's Secret is looked up in for a view. A Gateway's is its proxy's, as in Istio
 * (`kubernetes://<name>` resolves in the proxy's namespace, not the Gateway object's), or the Gateway's
 * own for a proxy that sends no namespace. A DestinationRule's is its own: its clusters reach every view.
 */
export const lookupNamespace = (ref: CredentialRef, view: View): string => (ref.gateway ? (view.namespace ?? ref.namespace) : ref.namespace);

/** The references that can reach a view: every DestinationRule's, and its own Gateways'. */
export const refsOfView = (refs: CredentialRef[], view: View) => refs.filter((r) => !r.gateway || view.gateways.includes(r.gateway));

/** Every SDS secret name the rendered resources of a view ask for (`sds_config` beside a `name`). */
export function sdsNamesOf(snapshot: RenderedView): string[] {
  const names = new Set<string>();
  for (const type of ['clusters', 'listeners'] as const) for (const r of snapshot.types[type].resources.values()) addSdsNames(r.json, names);
  return [...names].sort();
}

/** Adds the SDS secret names one resource asks for to `names`. */
export function addSdsNames(resource: unknown, names: Set<string>): void {
  const walk = (v: unknown): void => {
    if (Array.isArray(v)) return v.forEach(walk);
    if (!v || typeof v !== 'object') return;
    const o = v as Json;
    if (typeof o.name === 'string' && o.sds_config) names.add(o.name);
    for (const child of Object.values(o)) walk(child);
  };
  walk(resource);
}

/** Where an SDS name of a view comes from: which credential, which part, and every namespace that could hold it. */
export interface SdsTarget {
  sdsName: string;
  credentialName: string;
  part: 'certificate' | 'ca';
  namespaces: string[];
  refs: CredentialRef[];
}

/**
 * Maps a view's SDS names to credentials, each reference looked up in `namespacesOf` it (a proxy's view:
 * lookupNamespace). The names carry no namespace (Istio's `kubernetes://<name>`), so a name references
 * resolve to two namespaces for in one view is ambiguous: `namespaces` then has both.
 */
export function resolveSdsNames(sdsNames: string[], refs: CredentialRef[], namespacesOf: (ref: CredentialRef) => string[]): SdsTarget[] {
  const out: SdsTarget[] = [];
  for (const sdsName of sdsNames) {
    if (!sdsName.startsWith(SDS_PREFIX)) continue;
    const base = sdsName.slice(SDS_PREFIX.length);
    let matching = refs.filter((r) => r.credentialName === base);
    let part: SdsTarget['part'] = 'certificate';
    if (!matching.length && base.endsWith(CA_SUFFIX)) {
      matching = refs.filter((r) => r.credentialName === base.slice(0, -CA_SUFFIX.length));
      part = 'ca';
    }
    if (!matching.length) continue;
    out.push({ sdsName, credentialName: matching[0]!.credentialName, part, namespaces: [...new Set(matching.flatMap(namespacesOf))].sort(), refs: matching });
  }
  return out;
}
