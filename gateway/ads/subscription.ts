import type { AdsType } from '../../xds';

/** Types that are full state and may be subscribed to by wildcard (xds-protocol.md §2.4). */
const WILDCARD_TYPES: ReadonlySet<AdsType> = new Set(['clusters', 'listeners']);

/**
 * Every stream decodes its own copy of each name it subscribes to; a thousand streams asking for the
 * same 300 names would hold 300,000 strings. Interned, they share one (bounded, cleared when huge).
 */
const interned = new Map<string, string>();
function intern(name: string): string {
  let shared = interned.get(name);
  if (shared === undefined) {
    if (interned.size >= 200_000) interned.clear();
    interned.set(name, (shared = name));
  }
  return shared;
}

/**
 * Equal name sets are one object: a thousand Envoys subscribed to the same 300 assignments share one
 * Set and one key string instead of holding 300 entries and a 15 KB key each. Sets are never changed
 * once shared (a change makes a new one); the table is bounded and cleared when huge.
 */
const sharedSets = new Map<string, ReadonlySet<string>>();
const setKeys = new WeakMap<ReadonlySet<string>, string>();
const EMPTY: ReadonlySet<string> = new Set();
const keyOf = (names: Iterable<string>) => `=${[...names].sort().join('\n')}`;
function shared(names: Set<string>): { set: ReadonlySet<string>; key: string } {
  const key = keyOf(names);
  let set = sharedSets.get(key);
  if (!set) {
    if (sharedSets.size >= 10_000) sharedSets.clear();
    sharedSets.set(key, (set = names));
  }
  // The set's own key string, not this call's copy: that one is garbage at once.
  return { set, key: setKeys.get(set) ?? (setKeys.set(set, key), key) };
}

/**
 * One type's subscription on one stream. Follows the wildcard rules of the xDS spec: an empty
 * first request is the legacy wildcard for CDS/LDS; once any name was sent, an empty list means
 * "nothing"; "*" subscribes to the wildcard explicitly.
 */
export class Subscription {
  active = false;
  wildcard = false;
  /** The explicit names, shared with every subscription naming the same ones: never mutate it. */
  names: ReadonlySet<string> = EMPTY;
  private everNamed = false;
  /** The sorted names joined (streams look it up on every push); shared like the set. */
  private key = keyOf([]);

  constructor(readonly type: AdsType) {}

  private setNames(names: Set<string>): void {
    ({ set: this.names, key: this.key } = shared(names));
  }

  private sameNames(explicit: string[]): boolean {
    if (explicit.length !== this.names.size) return false;
    for (const n of explicit) if (!this.names.has(n)) return false;
    return true;
  }

  /** State of the world: the request's names replace the set. Returns the names newly asked for. */
  replace(requested: string[]): { added: string[]; wildcardAdded: boolean } {
    const first = !this.active;
    this.active = true;
    const wasWildcard = this.wildcard;
    const explicit = requested.filter((n) => n !== '*').map(intern);
    this.wildcard = WILDCARD_TYPES.has(this.type) && (requested.includes('*') || (requested.length === 0 && !this.everNamed));
    if (requested.length) this.everNamed = true;
    // Every ACK repeats the names: the common case changes nothing.
    if (this.sameNames(explicit)) return { added: first ? explicit : [], wildcardAdded: this.wildcard && (!wasWildcard || first) };
    const added = explicit.filter((n) => !this.names.has(n));
    this.setNames(new Set(explicit));
    return { added: first ? explicit : added, wildcardAdded: this.wildcard && (!wasWildcard || first) };
  }

  /** Delta: subscribe and unsubscribe lists change the set; empty lists change nothing after the first request. */
  update(subscribe: string[], unsubscribe: string[]): { added: string[]; wildcardAdded: boolean; unsubscribed: string[] } {
    const first = !this.active;
    this.active = true;
    const wasWildcard = this.wildcard;
    if (first && subscribe.length === 0 && WILDCARD_TYPES.has(this.type)) this.wildcard = true;
    const added: string[] = [];
    const next = new Set(this.names);
    for (const raw of subscribe) {
      const n = intern(raw);
      if (n === '*') {
        if (WILDCARD_TYPES.has(this.type)) this.wildcard = true;
      } else {
        next.add(n);
        added.push(n); // a re-subscribe is answered again: the client may have dropped it
      }
    }
    const unsubscribed: string[] = [];
    for (const n of unsubscribe) {
      if (n === '*') this.wildcard = false;
      else if (next.delete(n)) unsubscribed.push(n);
    }
    if (next.size !== this.names.size || added.some((n) => !this.names.has(n))) this.setNames(next);
    return { added, wildcardAdded: this.wildcard && !wasWildcard, unsubscribed };
  }

  /** Identifies the explicit names (for memoising what they select); meaningful when not a wildcard. */
  namesKey(): string {
    return this.key;
  }

  /** The names this subscription selects out of what exists. */
  select(existing: Iterable<string>): string[] {
    if (!this.wildcard) return [...this.names];
    const out = new Set(existing);
    for (const n of this.names) out.add(n);
    return [...out];
  }
}
