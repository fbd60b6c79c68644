import { EventEmitter } from 'node:events';
import { nodeClassOf, viewKey, type ClassRefusal, type NodeClass, type NodeInfo } from '../../xds';
import type { ViewSnapshot } from './types';

/**
 * gRPC clients get the mesh view (xds selectView), so one can be served before the edge
 * answers, unless the class or the config brings view dimensions (namespace, locality, sourceLabels):
 * then only the edge knows.
 */
const GRPC_VIEW = viewKey({ client: 'grpc', gateways: [] });
const hasDimensions = (view: string) => view.split('|').length > 2;

interface ClassEntry {
  nodeClass: NodeClass;
  view?: string;
  /** The edge refused the class: its identity may not have what it claims. */
  refused?: ClassRefusal;
  /** Streams using it; classes without streams are dropped after a while. */
  users: number;
  idleSince?: number;
}

export interface StoreUpdate {
  revision: number;
  /** View of each class the request named. */
  classViews: Map<string, string>;
  /** Snapshots of views that changed (others are kept). */
  snapshots: Map<string, ViewSnapshot>;
  /** The label keys views depend on, when the edge says. */
  labelKeys?: string[];
  /** Classes the edge refused (their identity may not have what they claim), by class key. */
  refused?: Map<string, ClassRefusal>;
  /** The auth epoch the edge judged identities under. */
  authEpoch?: number;
}

const CLASS_IDLE_MS = 5 * 60_000;

/** A class's key without its capability profile: what the edge's answer depends on. */
const baseKey = (c: NodeClass) => (c.profile ? c.key.slice(0, -`|~${c.profile}`.length) : c.key);

/** Builds a view's snapshot for gRPC clients of a capability profile (SnapshotEncoder.adaptView). */
export type ViewAdapter = (base: ViewSnapshot, profile: string) => ViewSnapshot;

/**
 * The bridge's only state: the last good snapshot per view and which view each node class gets.
 * Emits `change` after an update, and `class` when a proxy of an unknown class appears (the
 * upstream fetches at once instead of waiting out its interval).
 */
export class SnapshotStore extends EventEmitter {
  revision: number | undefined;
  /** The label keys views depend on (from the edge); undefined until it says: then every label counts. */
  labelKeys: string[] | undefined;
  /** The edge's auth epoch when it last judged this bridge's identities (sent back so a policy change is never a 304). */
  authEpoch: number | undefined;
  readonly views = new Map<string, ViewSnapshot>();
  private classes = new Map<string, ClassEntry>();
  /** Adapted snapshots by `view|profile`, each with the base it was made from (rebuilt when that changes). */
  private adapted = new Map<string, { base: ViewSnapshot; snapshot: ViewSnapshot }>();

  /** Without an adapter, every class gets its view as the edge sent it (tests with one kind of client). */
  constructor(private readonly adapt?: ViewAdapter) {
    super();
    // Every open ADS stream listens for `change`: a thousand listeners is the normal case, not a leak.
    this.setMaxListeners(0);
  }

  /** The class a proxy belongs to now (it changes when the edge's label keys do). */
  classOf(node: NodeInfo, identity?: string): NodeClass {
    return nodeClassOf(node, this.labelKeys, identity);
  }

  /** Why the edge refused this class, if it did. */
  refusalOf(classKey: string): ClassRefusal | undefined {
    return this.classes.get(classKey)?.refused;
  }

  /** A stream of this class opened; returns a release function. */
  use(nodeClass: NodeClass): () => void {
    let entry = this.classes.get(nodeClass.key);
    if (!entry) {
      // A class with an identity waits for the edge's judgement, whatever its kind.
      const plain = nodeClass.node.namespace === undefined && nodeClass.node.locality === undefined && nodeClass.node.identity === undefined && ![...this.views.keys()].some(hasDimensions);
      // Classes that differ only in capability profile are one node to the edge: one view.
      const base = baseKey(nodeClass);
      const sibling = [...this.classes.values()].find((e) => e.view !== undefined && baseKey(e.nodeClass) === base);
      const view = sibling?.view ?? (nodeClass.key.startsWith('grpc|') && plain ? GRPC_VIEW : undefined);
      entry = { nodeClass, users: 0, ...(view !== undefined ? { view } : {}) };
      this.classes.set(nodeClass.key, entry);
      this.emit('class', nodeClass);
    }
    else if (entry.refused) {
      // A new stream of a refused class is judged afresh (a policy may have changed since): it waits for the next answer.
      delete entry.refused;
      this.emit('class', nodeClass);
    }
    entry.users++;
    delete entry.idleSince;
    const e = entry;
    return () => {
      if (--e.users === 0) e.idleSince = Date.now();
    };
  }

  /** How many open streams are of this class. */
  usersOf(classKey: string): number {
    return this.classes.get(classKey)?.users ?? 0;
  }

  /** The snapshot a proxy of this class should have now, if the bridge has it. */
  snapshotFor(classKey: string): ViewSnapshot | undefined {
    const entry = this.classes.get(classKey);
    const base = entry?.view === undefined ? undefined : this.views.get(entry.view);
    const profile = entry?.nodeClass.profile;
    if (!base || !profile || !this.adapt) return base;
    const key = `${base.view}|${profile}`;
    const held = this.adapted.get(key);
    if (held?.base === base) return held.snapshot;
    const snapshot = this.adapt(base, profile);
    this.adapted.set(key, { base, snapshot });
    return snapshot;
  }

  /** Every snapshot streams may hold: the views and their adaptations (for the encoder's cache). */
  *liveSnapshots(): Iterable<ViewSnapshot> {
    yield* this.views.values();
    for (const a of this.adapted.values()) yield a.snapshot;
  }

  /** Classes to ask the edge about, and whether any of them has no view yet. */
  classesToFetch(now = Date.now()): { classes: NodeClass[]; unresolved: boolean } {
    for (const [key, e] of this.classes) if (e.users === 0 && e.idleSince !== undefined && now - e.idleSince > CLASS_IDLE_MS) this.classes.delete(key);
    const entries = [...this.classes.values()];
    return { classes: entries.map((e) => e.nodeClass), unresolved: entries.some((e) => !e.refused && (e.view === undefined || !this.views.has(e.view))) };
  }

  /** Versions of the views held, so the edge sends only what changed. */
  haveVersions(): Record<string, string> {
    return Object.fromEntries([...this.views].map(([k, s]) => [k, s.version]));
  }

  apply(update: StoreUpdate): void {
    this.revision = update.revision;
    // Kept as the same array while unchanged: streams re-derive their class only when it changes.
    if (update.labelKeys && update.labelKeys.join('\n') !== this.labelKeys?.join('\n')) this.labelKeys = update.labelKeys;
    if (update.authEpoch !== undefined) this.authEpoch = update.authEpoch;
    for (const [key, view] of update.classViews) {
      const entry = this.classes.get(key);
      if (!entry) continue;
      const refusal = update.refused?.get(key);
      if (refusal) {
        entry.refused = refusal;
        delete entry.view;
      } else {
        delete entry.refused;
        entry.view = view;
      }
    }
    for (const [view, snapshot] of update.snapshots) this.views.set(view, snapshot);
    // Keep only views some class still maps to.
    const used = new Set([...this.classes.values()].map((e) => e.view));
    for (const view of this.views.keys()) if (!used.has(view)) this.views.delete(view);
    // Adaptations of replaced or dropped views are rebuilt on demand.
    for (const [key, a] of this.adapted) if (this.views.get(a.base.view) !== a.base) this.adapted.delete(key);
    this.emit('change', update);
  }

  /** Class → view pairs, for the state file. */
  classViews(): { nodeClass: NodeClass; view: string }[] {
    return [...this.classes.values()].filter((e) => e.view !== undefined).map((e) => ({ nodeClass: e.nodeClass, view: e.view! }));
  }

  /** Restores classes from the state file (without users: they appear as proxies reconnect). */
  restoreClasses(entries: { nodeClass: NodeClass; view: string }[], now = Date.now()): void {
    for (const { nodeClass, view } of entries) if (!this.classes.has(nodeClass.key)) this.classes.set(nodeClass.key, { nodeClass, view, users: 0, idleSince: now });
  }
}
