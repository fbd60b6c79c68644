import type { IntentObject } from '../intent/types';
import { withQualifiedHosts } from '../intent/short-names';
import type { SidecarIntent } from '../intent/kinds';
import { hostSubsetOf } from '../ir/sidecar-hosts';
import { hostMatches } from '../translate/hosts';
import { sidecarToIR } from '../translate/sidecars';
import { fullCompileFeatures, refsOf, type ObjectRef, type RefRole } from './refs';

/** One object's change: its stored version (absent when created) and its new one (absent when deleted). */
export interface ObjectChange {
  before?: IntentObject;
  after?: IntentObject;
}

/** What the incremental compiler asks of the stored config, as it was before the change. */
export interface ConfigSource {
  /** Stored objects with any of these references. */
  objectsReferring(refs: ObjectRef[]): Promise<IntentObject[]>;
  /** Stored hosts (of ServiceEntries) that a `*.suffix` pattern matches. */
  hostsMatching(pattern: string): Promise<string[]>;
  /** Stored mesh VirtualServices with a wildcard host. */
  wildcardVirtualServices(): Promise<IntentObject[]>;
  /** Stored objects that keep the config on full compiles (see refs.ts `feature`). */
  fullCompileObjects(): Promise<IntentObject[]>;
  /**
   * Per port number, how many stored ServiceEntries declare it as HTTP and as another protocol, each
   * count capped at `cap`: a change of n objects can only tell 0 from "more than n", and counting all
   * of a popular port's services would read rows in proportion to the mesh.
   */
  portUsage(ports: number[], cap: number): Promise<Map<number, { http: number; other: number }>>;
}

export const objectKey = (o: IntentObject) => `${o.kind}/${o.metadata.namespace}/${o.metadata.name}`;

/** What a change reaches, and the objects a correct translation of that needs. */
export interface Closure {
  /** Hosts whose clusters, endpoints, virtual hosts and gRPC targets may change. */
  hosts: Set<string>;
  /** Gateways (`namespace/name`) whose listeners and routes may change. */
  gateways: Set<string>;
  /** Port numbers whose mesh listener may change. */
  ports: Set<number>;
  /** The objects as stored (before) and as they will be (after). */
  before: IntentObject[];
  after: IntentObject[];
  /** Per port the change reaches, ServiceEntries declaring it after the change. */
  portUsage: Map<number, { http: number; other: number }>;
  /**
   * Hosts whose clusters may enter or leave a Sidecar view (a subset of `hosts` plus the destinations of
   * reached routes): for each, every route sending to it is in the closure. Empty when the closure holds no Sidecar.
   */
  scopedClusterHosts: Set<string>;
}

type Json = Record<string, any>;
const refs = (role: RefRole, values: Iterable<string>): ObjectRef[] => [...values].map((ref) => ({ role, ref }));
const isWildcard = (host: string) => host.startsWith('*');

/**
 * The closure of a change, or why it needs a full compile. A change to a host reaches that host's
 * clusters, endpoints, virtual hosts and gRPC targets, the routes of every VirtualService that sends to
 * it, the Gateways those are bound to, and the listener of each of its ports; translating it needs,
 * beside those objects, the ServiceEntries and DestinationRules of every host their routes send to.
 * Objects are read by their references (refs.ts), never by scanning the mesh.
 */
export async function closureOf(changes: ObjectChange[], source: ConfigSource): Promise<Closure | { full: string }> {
  const changed = new Map<string, ObjectChange>();
  for (const c of changes) changed.set(objectKey((c.after ?? c.before)!), c);
  const versions = changes.flatMap((c) => [c.before, c.after].filter((o): o is IntentObject => !!o));

  for (const o of versions) {
    const features = fullCompileFeatures(o);
    if (features.length) return { full: `${objectKey(o)} uses ${features.join(', ')}` };
  }
  // Rows indexed by an older refs.ts may name a feature that no longer keeps writes whole: judged as the object is now.
  const stillFull = (await source.fullCompileObjects()).filter((o) => !changed.has(objectKey(o)) && fullCompileFeatures(o).length);
  if (stillFull.length) return { full: `${objectKey(stillFull[0]!)} uses ${fullCompileFeatures(stillFull[0]!).join(', ')}` };

  const hosts = new Set<string>();
  const gateways = new Set<string>();
  const otherPorts = new Set<number>();
  const ports = new Set<number>();
  const patterns = new Set<string>();
  const credentials = new Set<string>();
  const credentialNames = new Set<string>();
  for (const o of versions) {
    for (const r of refsOf(o)) {
      if (r.role === 'host' || r.role === 'policy') hosts.add(r.ref);
      else if (r.role === 'vshost') (isWildcard(r.ref) ? patterns : hosts).add(r.ref);
      else if (r.role === 'binds' || r.role === 'gateway') gateways.add(r.ref);
      else if (r.role === 'port') {
        otherPorts.add(Number(r.ref));
        ports.add(Number(r.ref));
      }
      else if (r.role === 'httpport') ports.add(Number(r.ref));
      else if (r.role === 'secret') credentials.add(r.ref);
      else if (r.role === 'credname' && (o.kind as string) === 'Secret') credentialNames.add(r.ref);
    }
  }
  if (patterns.has('*')) return { full: 'a VirtualService for every host ("*") reaches the whole mesh' };

  // Overlay: what the stored objects become once the change is applied.
  const overlay = (stored: IntentObject[], want: (o: IntentObject) => boolean) => {
    const byKey = new Map(stored.map((o) => [objectKey(o), o]));
    for (const [k, c] of changed) {
      if (c.after && want(c.after)) byKey.set(k, c.after);
      else byKey.delete(k);
    }
    return [...byKey.values()];
  };
  const matchesRefs = (wanted: ObjectRef[]) => {
    const set = new Set(wanted.map((r) => `${r.role}\u0000${r.ref}`));
    return (o: IntentObject) => refsOf(o).some((r) => set.has(`${r.role}\u0000${r.ref}`));
  };
  // Everything read, as stored: the closure before the change; after it, the same with the change applied.
  const stored = new Map<string, IntentObject>();
  const keep = (found: IntentObject[]) => {
    for (const o of found) stored.set(objectKey(o), o);
    return found;
  };
  const fetch = async (wanted: ObjectRef[]) => (wanted.length ? overlay(keep(await source.objectsReferring(wanted)), matchesRefs(wanted)) : []);

  // Secrets that changed reach whatever names them (a Gateway's by name: its proxy's namespace may hold it).
  const namesChangedSecret = (o: IntentObject) => o.kind === 'Gateway' || refsOf(o).some((r) => r.role === 'credential' && credentials.has(r.ref));
  for (const o of (await fetch([...refs('credential', credentials), ...refs('credname', credentialNames)])).filter(namesChangedSecret)) {
    for (const r of refsOf(o)) if (r.role === 'policy') hosts.add(r.ref); else if (r.role === 'gateway') gateways.add(r.ref);
  }
  // Wildcard hosts claim every host they match: a changed wildcard VirtualService reaches those hosts.
  for (const p of patterns) for (const h of await source.hostsMatching(p)) hosts.add(h);
  // A wildcard DestinationRule is the policy of every host it matches without a more specific rule: a change to one reaches them.
  for (const o of versions) {
    if (o.kind !== 'DestinationRule') continue;
    for (const r of refsOf(o)) {
      if (r.role !== 'policy' || !isWildcard(r.ref)) continue;
      if (r.ref === '*') return { full: `${objectKey(o)} is a DestinationRule for every host ("*"): it reaches the whole mesh` };
      for (const h of await source.hostsMatching(r.ref)) hosts.add(h);
    }
  }
  // A Sidecar's change reaches every host it imports, before and after: its views are rendered from them.
  const sidecarVersions = versions.filter((o) => o.kind === 'Sidecar');
  const seeds = await sidecarImports(sidecarVersions, source, fetch);
  if ('full' in seeds) return seeds;
  for (const o of seeds.entries) {
    for (const r of refsOf(o)) {
      if (r.role === 'host') hosts.add(r.ref);
      else if (r.role === 'port') otherPorts.add(Number(r.ref)), ports.add(Number(r.ref));
      else if (r.role === 'httpport') ports.add(Number(r.ref));
    }
  }
  // Non-HTTP ports: the listener is built from every ServiceEntry declaring the port.
  for (const o of await fetch(refs('port', [...otherPorts].map(String)))) for (const r of refsOf(o)) if (r.role === 'host') hosts.add(r.ref);
  // Hosts every route to which is read below.
  const routed = new Set(hosts);
  // Routes that send to a reached host change with it (cluster names follow its ports and subsets).
  for (const o of await fetch(refs('dest', hosts))) {
    for (const r of refsOf(o)) {
      if (r.role === 'vshost' && !isWildcard(r.ref)) hosts.add(r.ref);
      else if (r.role === 'binds') gateways.add(r.ref);
    }
  }
  // Wildcard VirtualServices that claim a reached host.
  const claims = (vs: IntentObject) => ((withQualifiedHosts(vs).spec as Json).hosts as string[]).some((p) => [...hosts].some((h) => hostMatches(p, h)));
  keep((await source.wildcardVirtualServices()).filter(claims));
  const claiming = overlay([...stored.values()], (o) => o.kind === 'VirtualService' && refsOf(o).some((r) => r.role === 'vshost' && isWildcard(r.ref)) && claims(o));

  const coreRefs = () => [...refs('host', hosts), ...refs('policy', hosts), ...refs('vshost', hosts), ...refs('binds', gateways), ...refs('gateway', gateways)];
  let core = await fetch(coreRefs());
  // Sidecars whose views the change may reach: those importing a namespace of a reached ServiceEntry (or every one).
  const scopedClusterHosts = new Set<string>();
  const namespaces = () => new Set([...stored.values(), ...versions].filter((o) => o.kind === 'ServiceEntry' || o.kind === 'Sidecar').map((o) => o.metadata.namespace));
  if ((await fetch(refs('sidecar', ['*', ...namespaces()]))).length || sidecarVersions.length) {
    // A cluster is in a Sidecar view when its host is imported or a route there sends to it: the destinations of
    // the reached routes may enter or leave, so every route to them is read, with what renders its virtual host.
    for (const h of routed) scopedClusterHosts.add(h);
    for (const vs of [...core, ...versions]) if (vs.kind === 'VirtualService') for (const r of refsOf(vs)) if (r.role === 'dest') scopedClusterHosts.add(r.ref);
    for (const o of await fetch(refs('dest', [...scopedClusterHosts].filter((h) => !routed.has(h))))) for (const r of refsOf(o)) if (r.role === 'vshost' && !isWildcard(r.ref)) hosts.add(r.ref);
    core = await fetch(coreRefs());
    await fetch(refs('sidecar', [...namespaces()]));
  }
  // Routes before and after the change: a host a route stopped sending to is needed to translate the before.
  const vsSpecs = [...core, ...claiming, ...stored.values(), ...versions].filter((o) => o.kind === 'VirtualService');
  // For translating: the hosts and Gateways those routes name, and the Secrets credentials name.
  const support = new Set<string>();
  const supportGateways = new Set<string>();
  for (const vs of vsSpecs) for (const r of refsOf(vs)) if (r.role === 'dest' && !hosts.has(r.ref)) support.add(r.ref); else if (r.role === 'binds' && !gateways.has(r.ref)) supportGateways.add(r.ref);
  const supportObjects = await fetch([...refs('host', support), ...refs('policy', support), ...refs('gateway', supportGateways)]);
  // Wildcard DestinationRules that may be the policy of a host translated here (and any twin of a changed one).
  const policies = await fetch(refs('policy', policyPatterns([...hosts, ...support])));
  const names = new Set<string>();
  for (const o of [...core, ...claiming, ...supportObjects, ...policies]) for (const r of refsOf(o)) if (r.role === 'credname') names.add(r.ref);
  const namers = await fetch(refs('credname', names));
  const secretRefs = new Set<string>();
  for (const o of [...core, ...claiming, ...supportObjects, ...policies, ...namers]) for (const r of refsOf(o)) if (r.role === 'credential') secretRefs.add(r.ref);
  await fetch(refs('secret', secretRefs));

  // A port numbered both HTTP and not would need every service on it translated together.
  const usage = await source.portUsage([...ports], changes.length + 1);
  for (const c of changes) {
    for (const [o, sign] of [[c.before, -1], [c.after, 1]] as const) {
      if (!o) continue;
      for (const r of refsOf(o)) {
        if (r.role !== 'httpport' && r.role !== 'port') continue;
        const u = usage.get(Number(r.ref)) ?? { http: 0, other: 0 };
        u[r.role === 'httpport' ? 'http' : 'other'] += sign;
        usage.set(Number(r.ref), u);
      }
    }
  }
  for (const [port, u] of usage) if (u.http > 0 && u.other > 0) return { full: `port ${port} is declared both as HTTP and as TCP or TLS` };

  const before = new Map(stored);
  const after = new Map(stored);
  for (const [k, c] of changed) {
    if (c.before) before.set(k, c.before);
    if (c.after) after.set(k, c.after);
    else after.delete(k);
  }
  return { hosts, gateways, ports, before: [...before.values()], after: [...after.values()], portUsage: usage, scopedClusterHosts };
}

/** Every DestinationRule host pattern that can match one of `hosts` (`*` and `*.suffix` for each dot-suffix, as translate/hosts.ts hostMatches). */
export function policyPatterns(hosts: Iterable<string>): string[] {
  const out = new Set<string>(['*']);
  for (const h of hosts) {
    const name = isWildcard(h) ? h.slice(1) : h;
    for (let i = name.indexOf('.'); i >= 0; i = name.indexOf('.', i + 1)) out.add(`*${name.slice(i)}`);
  }
  return [...out];
}

/**
 * The ServiceEntries a Sidecar's egress may import (before and after its change), read by namespace or
 * host; an entry for every host of every namespace (`*` / `*`, or no egress) is the whole mesh.
 */
async function sidecarImports(sidecars: IntentObject[], source: ConfigSource, fetch: (wanted: ObjectRef[]) => Promise<IntentObject[]>): Promise<{ entries: IntentObject[] } | { full: string }> {
  const entries = new Map<string, IntentObject>();
  for (const sc of sidecars) {
    for (const listener of sidecarToIR(sc as SidecarIntent).egress) {
      for (const e of listener.hosts) {
        if (e.exclude) continue;
        let found: IntentObject[];
        // A named host is read by name, a namespace's pattern by namespace, another namespace's pattern by what it matches.
        if (!isWildcard(e.host)) found = await fetch(refs('host', [e.host]));
        else if (e.namespace !== '*') found = await fetch(refs('nshost', [e.namespace]));
        else if (e.host === '*') return { full: `${objectKey(sc)} imports every host of every namespace ("*/*"): its view is the whole mesh` };
        else found = await fetch(refs('host', await source.hostsMatching(e.host)));
        for (const o of found) {
          const hosts = ((withQualifiedHosts(o).spec as Json).hosts ?? []) as string[];
          if (o.kind === 'ServiceEntry' && (e.namespace === '*' || o.metadata.namespace === e.namespace) && hosts.some((h) => hostSubsetOf(h, e.host))) entries.set(objectKey(o), o);
        }
      }
    }
  }
  return { entries: [...entries.values()] };
}
