import { meshListenerName, meshRouteConfigName } from '../envoy/names';
import { RESOURCE_TYPES, type ResourceType } from '../envoy/type-urls';
import { BLOCK_ALL } from '../ir/sidecar-scope';
import type { SidecarIR } from '../ir/sidecar';
import type { MeshIR } from '../ir/types';
import { viewKey } from '../ir/view';
import type { View } from '../ir/view-types';
import { renderView } from '../render/render';
import type { Closure } from './closure';
import { collectionItems, findItems } from './collection';
import { subscriberOf, variantsOf } from './compile-full';
import { editComposite } from './composite-edit';
import { getView, itemOf, publishView, putView, type PublishedView, type Variant } from './published-view';
import { viewSlot } from './root';
import type { BlobStore, Item } from './types';
import { applyEdit, hostEdit, ownerHost, type ChangedResource, type Json, type Note, type PendingEdit, type Rendered } from './view-edits';

/*
 * Sidecar views under an incremental compile. A Sidecar's view is the mesh narrowed to what it imports
 * (ir/sidecar-scope.ts), so a change reaches it where it reaches the mesh view, plus clusters entering or
 * leaving it as routes there start or stop sending to them:
 * - a Sidecar created or changed is rendered whole from the closure, which holds every host it imports
 *   (closure.ts sidecarImports); one deleted loses its views;
 * - any other Sidecar the closure holds has its views spliced: virtual hosts and listeners of the reached
 *   hosts and ports, clusters of `scopedClusterHosts`; an HTTP port's listener is there while its route
 *   configuration has a virtual host other than REGISTRY_ONLY's block_all.
 * Sidecars the closure does not hold import no namespace the change reaches: their views stay as they are.
 */

export interface SidecarViewsResult {
  /** Set when a view this needs to splice was never published (a root from before Sidecar views were): compile whole. */
  full?: string;
  views: Record<string, string>;
  sidecars: SidecarIR[] | undefined;
  renders: { view: View; rendered: Rendered }[];
}

const CLIENTS = ['envoy', 'grpc'] as const;

export async function spliceSidecarViews(
  store: BlobStore,
  prev: { views: Record<string, string>; sidecars: SidecarIR[] | undefined },
  old: MeshIR,
  next: MeshIR,
  closure: Closure,
  rewritten: Set<string>,
  changed: ChangedResource[],
  removed: Omit<ChangedResource, 'json' | 'op'>[],
): Promise<SidecarViewsResult> {
  const views = { ...prev.views };
  const renders: SidecarViewsResult['renders'] = [];
  const after = new Map((next.sidecars ?? []).map((s) => [s.key, s]));
  const keys = new Set([...(old.sidecars ?? []), ...(next.sidecars ?? [])].map((s) => s.key));
  for (const key of keys) {
    for (const client of CLIENTS) {
      const view: View = { client, gateways: [], sidecar: key };
      const vkey = viewKey(view);
      for (const variant of variantsOf(client)) {
        const slot = viewSlot(vkey, variant);
        const noteFor = (type: ResourceType): Note => (name, json, op = 'changed') => (json ? changed.push({ view: vkey, variant, type, name, op, json }) : removed.push({ view: vkey, variant, type, name }));
        if (!after.has(key)) {
          if (views[slot]) for (const [type, t] of Object.entries((await getView(store, views[slot]!)).types)) for await (const item of collectionItems(store, t.items)) noteFor(type as ResourceType)(item.name);
          delete views[slot];
          continue;
        }
        const rendered = renderView(next, view, subscriberOf(variant));
        if (variant === 'ads') renders.push({ view, rendered });
        if (rewritten.has(key)) {
          await noteWhole(store, prev.views[slot] ? await getView(store, prev.views[slot]!) : undefined, rendered, noteFor);
          views[slot] = await putView(store, await publishView(store, rendered.types, vkey, variant));
          continue;
        }
        if (!views[slot]) return { full: `the published revision has no view ${slot}`, views, sidecars: undefined, renders };
        const before = renderView(old, view, subscriberOf(variant));
        // Nothing the closure renders differs here: nothing of this view changes.
        if ((Object.keys(RESOURCE_TYPES) as ResourceType[]).every((t) => before.types[t].version === rendered.types[t].version)) continue;
        const current = await getView(store, views[slot]!);
        views[slot] = await putView(store, await splice(store, current, before, rendered, closure, client, noteFor));
      }
    }
  }
  const sidecars = [...(prev.sidecars ?? []).filter((s) => !keys.has(s.key) || (after.has(s.key) && !rewritten.has(s.key))), ...[...after.values()].filter((s) => rewritten.has(s.key) || !(prev.sidecars ?? []).some((p) => p.key === s.key))];
  sidecars.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  return { views, sidecars: sidecars.length ? sidecars : undefined, renders };
}

/** What a view rendered whole adds, changes and removes against the one it replaces. */
async function noteWhole(store: BlobStore, was: PublishedView | undefined, rendered: Rendered, noteFor: (type: ResourceType) => Note): Promise<void> {
  for (const type of Object.keys(RESOURCE_TYPES) as ResourceType[]) {
    const stored = new Map<string, Item>();
    if (was) for await (const item of collectionItems(store, was.types[type].items)) stored.set(item.name, item);
    for (const name of stored.keys()) if (!rendered.types[type].resources.has(name)) noteFor(type)(name);
    for (const r of rendered.types[type].resources.values()) {
      const item = await itemOf(store, type, r.name, r.json);
      if (stored.get(r.name)?.hash !== item.hash) noteFor(type)(r.name, r.json, stored.has(r.name) ? 'changed' : 'added');
    }
  }
}

async function splice(store: BlobStore, current: PublishedView, before: Rendered, after: Rendered, closure: Closure, client: 'envoy' | 'grpc', noteFor: (type: ResourceType) => Note): Promise<PublishedView> {
  const types = { ...current.types };
  for (const type of ['clusters', 'endpoints'] as const) types[type] = await applyEdit(store, current.types[type], hostEdit(type, before, after, closure.scopedClusterHosts, noteFor(type)));
  if (client === 'grpc') {
    for (const type of ['listeners', 'routes'] as const) types[type] = await applyEdit(store, current.types[type], hostEdit(type, before, after, closure.hosts, noteFor(type)));
    return { ...current, types };
  }
  const { routes, listening } = await routeEdit(store, before, after, current, closure, noteFor('routes'));
  types.routes = await applyEdit(store, current.types.routes, routes);
  types.listeners = await applyEdit(store, current.types.listeners, await listenerEdit(store, after, current, closure, listening, noteFor('listeners')));
  return { ...current, types };
}

const portsOf = (closure: Closure, ...renders: Rendered[]) => {
  const ports = new Set(closure.ports);
  for (const r of renders) for (const rc of r.types.routes.resources.values()) if (/^\d+$/.test(rc.name)) ports.add(Number(rc.name));
  return ports;
};

/** A route configuration holding nothing but REGISTRY_ONLY's refusal routes nothing: Istio builds none for a port without services. */
const routesSomething = (item: Item) => !item.text.startsWith('{') || item.text.includes('"$composite"') || ((JSON.parse(item.text) as Json).virtual_hosts as Json[]).some((vh) => vh.name !== BLOCK_ALL);

/** Route configurations: the reached hosts' virtual hosts replaced; `listening` says, per port edited, whether its configuration is there after. */
async function routeEdit(store: BlobStore, before: Rendered, after: Rendered, current: PublishedView, closure: Closure, note: Note): Promise<{ routes: PendingEdit; listening: Map<number, boolean> }> {
  const remove: string[] = [];
  const upsert: Item[] = [];
  const listening = new Map<number, boolean>();
  const ports = portsOf(closure, before, after);
  const stored = await findItems(store, current.types.routes.items, [...ports].map(meshRouteConfigName));
  for (const port of ports) {
    const name = meshRouteConfigName(port);
    const now = after.types.routes.resources.get(name);
    const had = stored.get(name);
    const owned = (rc: { json: Json } | undefined) => ((rc?.json.virtual_hosts as Json[] | undefined) ?? []).filter((vh) => closure.hosts.has(ownerHost('routes', vh.name as string) ?? ''));
    const was = new Map(owned(before.types.routes.resources.get(name)).map((vh) => [vh.name as string, vh]));
    const vhosts = owned(now);
    const gone = [...was.keys()].filter((n) => !vhosts.some((vh) => vh.name === n));
    const fresh = vhosts.filter((vh) => JSON.stringify(vh) !== JSON.stringify(was.get(vh.name as string)));
    if (!gone.length && !fresh.length) continue;
    if (!had) {
      // No host of this port was imported before: the closure's render is the whole configuration.
      listening.set(port, !!now);
      if (!now) continue;
      const item = await itemOf(store, 'routes', name, now.json);
      upsert.push(item);
      note(name, now.json, 'added');
      continue;
    }
    const frame = now?.json ?? before.types.routes.resources.get(name)!.json;
    const edited = await editComposite(store, 'routes', name, frame, had, gone, fresh);
    if (!edited || !routesSomething(edited.item)) {
      remove.push(name), note(name);
      listening.set(port, false);
      continue;
    }
    upsert.push(edited.item);
    note(name, edited.json, 'changed');
    listening.set(port, true);
  }
  return { routes: { edit: { remove, upsert }, items: upsert }, listening };
}

/** Listeners: an HTTP port's follows its route configuration; a TCP or TLS port's is rendered from every service of the port, which the closure holds. */
async function listenerEdit(store: BlobStore, after: Rendered, current: PublishedView, closure: Closure, listening: Map<number, boolean>, note: Note): Promise<PendingEdit> {
  const remove: string[] = [];
  const upsert: Item[] = [];
  const ports = new Set([...listening.keys(), ...closure.ports]);
  const stored = await findItems(store, current.types.listeners.items, [...ports].map(meshListenerName));
  for (const port of ports) {
    const name = meshListenerName(port);
    const had = stored.get(name);
    const usage = closure.portUsage.get(port);
    const http = listening.has(port) || !closure.ports.has(port) || (usage !== undefined && usage.http > 0);
    const now = after.types.listeners.resources.get(name);
    if (http && !listening.has(port)) continue;
    const wanted = http ? listening.get(port)! : !!now;
    if (!wanted) {
      if (had) remove.push(name), note(name);
      continue;
    }
    // An HTTP listener depends on its port alone: one there stays as it is.
    if (http && had) continue;
    if (!now) throw new Error(`sidecar view: listener ${name} is wanted but the closure renders none`);
    const item = await itemOf(store, 'listeners', name, now.json);
    if (had?.text === item.text) continue;
    upsert.push(item);
    note(name, now.json, had ? 'changed' : 'added');
  }
  return { edit: { remove, upsert }, items: upsert };
}

export type { Variant };
