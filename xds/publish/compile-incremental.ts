import { hostOfClusterName, meshListenerName, meshRouteConfigName } from '../envoy/names';
import { RESOURCE_TYPES, type ResourceType } from '../envoy/type-urls';
import type { IntentObject } from '../intent/types';
import type { MeshIR } from '../ir/types';
import type { View } from '../ir/view-types';
import { viewKey } from '../ir/view';
import { hashContent } from '../render/hash';
import { renderView } from '../render/render';
import type { Diagnostic } from '../translate/diagnostics';
import { translateIntents } from '../translate/to-ir';
import { closureOf, type ConfigSource, type ObjectChange } from './closure';
import { collectionItems, findItems, spliceCollection, type CollectionEdit } from './collection';
import { needsFullCompile, subscriberOf, variantsOf, viewSelectorOf } from './compile-full';
import { editComposite } from './composite-edit';
import { flagsOf, getView, isCompositeItem, itemOf, publishedType, putView, type PublishedView, type Variant } from './published-view';
import { putRoot, viewSlot, type PublishedRoot } from './root';
import { spliceSidecarViews } from './sidecar-views';
import type { BlobStore, Item } from './types';

import { applyEdit, hostEdit, ownerHost, type ChangedResource, type Json, type Note, type PendingEdit, type Rendered } from './view-edits';

export { ownerHost, type ChangedResource } from './view-edits';

/** The closure's renders after the change, per ADS view: what the caller checks (consistency, credentials). */
export interface ClosureRender {
  view: View;
  rendered: Rendered;
}

export type IncrementalResult =
  | { kind: 'refused'; errors: Diagnostic[]; warnings: Diagnostic[] }
  | { kind: 'full'; reason: string }
  | {
      kind: 'published';
      root: PublishedRoot;
      key: string;
      warnings: Diagnostic[];
      changed: ChangedResource[];
      removed: Omit<ChangedResource, 'json' | 'op'>[];
      /** Objects translated, before and after: what the change cost. */
      closure: { before: number; after: number; objects: IntentObject[] };
      renders: ClosureRender[];
      ir: MeshIR;
    };

const MESH_VIEWS: View[] = [
  { client: 'envoy', gateways: [] },
  { client: 'grpc', gateways: [] },
];

/**
 * Publishes a change by splicing the previous revision's published views: the change's closure is
 * translated before and after, the resources of the hosts, ports and Gateways it reaches are rendered,
 * and only those that differ are written (plus the chunks around them). Says when a full compile is
 * needed instead.
 */
export async function compileIncremental(store: BlobStore, prev: PublishedRoot, prevKey: string, changes: ObjectChange[], source: ConfigSource, revision: number): Promise<IncrementalResult> {
  if (prev.mode !== 'incremental') return { kind: 'full', reason: 'the configuration uses features only a full compile renders' };
  const closure = await closureOf(changes, source);
  if ('full' in closure) return { kind: 'full', reason: closure.full };
  const next = translateIntents(closure.after);
  if (next.errors.length) return { kind: 'refused', errors: next.errors, warnings: next.warnings };
  if (needsFullCompile(next.ir)) return { kind: 'full', reason: 'the change brings in features only a full compile renders' };
  const old = translateIntents(closure.before);
  if (old.errors.length) return { kind: 'full', reason: `the stored configuration no longer translates: ${old.errors[0]!.source} ${old.errors[0]!.path}: ${old.errors[0]!.message} (closure ${closure.before.map((o) => `${o.kind}/${o.metadata.name}`).join(', ')}; change ${changes.map((c) => `${(c.before ?? c.after)!.kind}/${(c.before ?? c.after)!.metadata.name}${c.before ? '' : '+'}${c.after ? '' : '-'}`).join(', ')})` };

  const changed: ChangedResource[] = [];
  const removed: Omit<ChangedResource, 'json' | 'op'>[] = [];
  const renders: ClosureRender[] = [];
  const views = { ...prev.views };
  const views$ = new Map<string, Promise<PublishedView>>();
  const viewOf = (slot: string) => {
    if (!views$.has(slot)) views$.set(slot, getView(store, views[slot]!));
    return views$.get(slot)!;
  };

  // Mesh views: the resources of every reached host, and the listeners and route configurations of reached ports.
  const published = new Map<string, PublishedView>();
  for (const view of MESH_VIEWS) {
    const key = viewKey(view);
    for (const variant of variantsOf(view.client)) {
      const slot = viewSlot(key, variant);
      const before = renderView(old.ir, view, subscriberOf(variant));
      const after = renderView(next.ir, view, subscriberOf(variant));
      if (variant === 'ads') renders.push({ view, rendered: after });
      const current = await viewOf(slot);
      const types = { ...current.types };
      for (const type of Object.keys(RESOURCE_TYPES) as ResourceType[]) {
        const note = (name: string, json?: Json, op: ChangedResource['op'] = 'changed') => (json ? changed.push({ view: key, variant, type, name, op, json }) : removed.push({ view: key, variant, type, name }));
        const edit = view.client === 'envoy' && (type === 'listeners' || type === 'routes') ? await portEdit(store, type, before, after, current, closure, note) : hostEdit(type, before, after, closure.hosts, note);
        types[type] = await applyEdit(store, current.types[type], await edit);
      }
      const updated: PublishedView = { ...current, types };
      published.set(slot, updated);
      views[slot] = await putView(store, updated);
    }
  }

  // Gateway views: their listeners and routes re-rendered whole (the closure holds every VirtualService bound to them), clusters as the mesh's.
  const gatewaysAfter = new Map(next.ir.gateways.map((g) => [g.key, g]));
  for (const gw of closure.gateways) {
    const view: View = { client: 'envoy', gateways: [gw] };
    const key = viewKey(view);
    for (const variant of variantsOf('envoy')) {
      const slot = viewSlot(key, variant);
      if (!gatewaysAfter.has(gw)) {
        if (views[slot]) for (const type of ['listeners', 'routes'] as const) for await (const item of collectionItems(store, (await viewOf(slot)).types[type].items)) removed.push({ view: key, variant, type, name: item.name });
        delete views[slot];
        continue;
      }
      const mesh = published.get(viewSlot('envoy|mesh', variant))!;
      const rendered = renderView(next.ir, view, subscriberOf(variant));
      if (variant === 'ads') renders.push({ view, rendered });
      const types = { ...mesh.types };
      for (const type of ['listeners', 'routes'] as const) {
        const current = views[slot] ? (await viewOf(slot)).types[type] : undefined;
        const edit: CollectionEdit = { upsert: [], remove: [] };
        const wanted = new Set(rendered.types[type].resources.keys());
        const stored = current ? await allItems(store, current) : new Map<string, Item>();
        for (const name of stored.keys()) if (!wanted.has(name)) (edit.remove as string[]).push(name), removed.push({ view: key, variant, type, name });
        for (const r of rendered.types[type].resources.values()) {
          const item = await itemOf(store, type, r.name, r.json);
          if (stored.get(r.name)?.hash === item.hash) continue;
          (edit.upsert as Item[]).push(item);
          changed.push({ view: key, variant, type, name: r.name, op: stored.has(r.name) ? 'changed' : 'added', json: r.json });
        }
        types[type] = await applyEdit(store, current ?? emptyType(), { edit, items: edit.upsert as Item[] });
      }
      views[slot] = await putView(store, { view: key, variant, types });
    }
  }

  // Every other Gateway's view shares the mesh's clusters and assignments: point it at the new ones.
  for (const g of prev.selector.gateways) {
    if (closure.gateways.has(g.key)) continue;
    for (const variant of variantsOf('envoy')) {
      const slot = viewSlot(viewKey({ client: 'envoy', gateways: [g.key] }), variant);
      const mesh = published.get(viewSlot('envoy|mesh', variant))!;
      const current = await viewOf(slot);
      if (current.types.clusters === mesh.types.clusters && current.types.endpoints === mesh.types.endpoints) continue;
      views[slot] = await putView(store, { ...current, types: { ...current.types, clusters: mesh.types.clusters, endpoints: mesh.types.endpoints } });
    }
  }

  const selectorGateways = prev.selector.gateways.filter((g) => !closure.gateways.has(g.key));
  for (const gw of closure.gateways) if (gatewaysAfter.has(gw)) selectorGateways.push(viewSelectorOf({ ...next.ir, gateways: [gatewaysAfter.get(gw)!] }).gateways[0]!);
  selectorGateways.sort((a, b) => (a.key < b.key ? -1 : 1));

  // Sidecar views: those of Sidecars the change writes rendered whole, the others the closure holds spliced.
  const rewritten = new Set(changes.flatMap((c) => [c.before, c.after]).filter((o): o is IntentObject => o?.kind === 'Sidecar').map((o) => `${o.metadata.namespace}/${o.metadata.name}`));
  const scoped = await spliceSidecarViews(store, { views, sidecars: prev.selector.sidecars }, old.ir, next.ir, closure, rewritten, changed, removed);
  if (scoped.full) return { kind: 'full', reason: scoped.full };
  renders.push(...scoped.renders);
  const selector: PublishedRoot['selector'] = { ...prev.selector, gateways: selectorGateways };
  if (scoped.sidecars) selector.sidecars = scoped.sidecars;
  else delete selector.sidecars;
  const root: PublishedRoot = { format: 1, revision, mode: 'incremental', selector, views: scoped.views };
  void prevKey;
  return { kind: 'published', root, key: await putRoot(store, root), warnings: next.warnings, changed, removed, closure: { before: closure.before.length, after: closure.after.length, objects: closure.after }, renders, ir: next.ir };
}

const emptyType = () => publishedType({ k: 8, count: 0, bytes: 0, chunks: [] }, { templated: false, composites: false });

async function allItems(store: BlobStore, type: { items: Parameters<typeof collectionItems>[1] }): Promise<Map<string, Item>> {
  const out = new Map<string, Item>();
  for await (const item of collectionItems(store, type.items)) out.set(item.name, item);
  return out;
}

/**
 * Mesh listeners and route configurations are per port: a listener is rewritten for the ports the
 * change reaches (HTTP listeners depend on the port alone; TCP and TLS ones on every service of the
 * port, all of which the closure holds), a route configuration has the reached hosts' virtual hosts
 * replaced in it. Either goes once no ServiceEntry declares its port.
 */
async function portEdit(store: BlobStore, type: 'listeners' | 'routes', before: Rendered, after: Rendered, current: PublishedView, closure: { hosts: Set<string>; ports: Set<number>; portUsage: Map<number, { http: number; other: number }> }, note: Note): Promise<PendingEdit> {
  const remove: string[] = [];
  const upsert: Item[] = [];
  const ports = new Set(closure.ports);
  // Virtual hosts of reached hosts on ports the change does not name (a route to a host whose SE changed).
  for (const rc of [...before.types.routes.resources.values(), ...after.types.routes.resources.values()]) if (/^\d+$/.test(rc.name)) ports.add(Number(rc.name));
  const names = [...ports].map((p) => (type === 'listeners' ? meshListenerName(p) : meshRouteConfigName(p)));
  const stored = await findItems(store, current.types[type].items, names);
  for (const port of ports) {
    const usage = closure.portUsage.get(port);
    const declared = usage ? usage.http + usage.other > 0 : true;
    const name = type === 'listeners' ? meshListenerName(port) : meshRouteConfigName(port);
    const now = after.types[type].resources.get(name);
    const had = stored.get(name);
    if (type === 'listeners') {
      if (!closure.ports.has(port)) continue;
      if (!now) {
        if (had && !declared) remove.push(name), note(name);
        else if (had && usage && usage.http === 0) remove.push(name), note(name);
        continue;
      }
      const item = await itemOf(store, type, name, now.json);
      if (had?.text === item.text) continue;
      upsert.push(item);
      note(name, now.json, had ? 'changed' : 'added');
      continue;
    }
    // Route configurations: this change's virtual hosts in, its old ones out.
    const owned = (rc: { json: Json } | undefined) => ((rc?.json.virtual_hosts as Json[] | undefined) ?? []).filter((vh) => closure.hosts.has(ownerHost('routes', vh.name as string) ?? ''));
    const was = new Map(owned(before.types.routes.resources.get(name)).map((vh) => [vh.name as string, vh]));
    const vhosts = owned(now);
    const gone = [...was.keys()].filter((n) => !vhosts.some((vh) => vh.name === n));
    const fresh = vhosts.filter((vh) => JSON.stringify(vh) !== JSON.stringify(was.get(vh.name as string)));
    if (!gone.length && !fresh.length) continue;
    const frame = now?.json ?? before.types.routes.resources.get(name)!.json;
    const edited = await editComposite(store, 'routes', name, frame, had, gone, fresh);
    if (!edited) {
      if (had) remove.push(name), note(name);
      continue;
    }
    upsert.push(edited.item);
    note(name, edited.json, had ? 'changed' : 'added');
  }
  return { edit: { remove, upsert }, items: upsert };
}

