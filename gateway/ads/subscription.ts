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
 * One type's subscription on one stream. Follows the wildcard rules of the xDS spec: an empty
 * first request is the legacy wildcard for CDS/LDS; once any name was sent, an empty list means
 * "nothing"; "*" subscribes to the wildcard explicitly.
 */
export class Subscription {
  active = false;
  wildcard = false;
  readonly names = new Set<string>();
  private everNamed = false;
  /** The sorted names joined, cached until the names change (streams look it up on every push). */
  private cachedKey?: string;

  constructor(readonly type: AdsType) {}

  /** State of the world: the request's names replace the set. Returns the names newly asked for. */
  replace(requested: string[]): { added: string[]; wildcardAdded: boolean } {
    const first = !this.active;
    this.active = true;
    const wasWildcard = this.wildcard;
    const explicit = requested.filter((n) => n !== '*').map(intern);
    this.cachedKey = undefined;
    this.wildcard = WILDCARD_TYPES.has(this.type) && (requested.includes('*') || (requested.length === 0 && !this.everNamed));
    if (requested.length) this.everNamed = true;
    const added = explicit.filter((n) => !this.names.has(n));
    this.names.clear();
    for (const n of explicit) this.names.add(n);
    return { added: first ? explicit : added, wildcardAdded: this.wildcard && (!wasWildcard || first) };
  }

  /** Delta: subscribe and unsubscribe lists change the set; empty lists change nothing after the first request. */
  update(subscribe: string[], unsubscribe: string[]): { added: string[]; wildcardAdded: boolean; unsubscribed: string[] } {
    const first = !this.active;
    this.active = true;
    const wasWildcard = this.wildcard;
    if (first && subscribe.length === 0 && WILDCARD_TYPES.has(this.type)) this.wildcard = true;
    const added: string[] = [];
    this.cachedKey = undefined;
    for (const raw of subscribe) {
      const n = intern(raw);
      if (n === '*') {
        if (WILDCARD_TYPES.has(this.type)) this.wildcard = true;
      } else if (!this.names.has(n)) {
        this.names.add(n);
        added.push(n);
      } else added.push(n); // a re-subscribe is answered again: the client may have dropped it
    }
    const unsubscribed: string[] = [];
    for (const n of unsubscribe) {
      if (n === '*') this.wildcard = false;
      else if (this.names.delete(n)) unsubscribed.push(n);
    }
    return { added, wildcardAdded: this.wildcard && !wasWildcard, unsubscribed };
  }

  /** Identifies the explicit names (for memoising what they select); meaningful when not a wildcard. */
  namesKey(): string {
    this.cachedKey ??= `=${[...this.names].sort().join('\n')}`;
    return this.cachedKey;
  }

  /** The names this subscription selects out of what exists. */
  select(existing: Iterable<string>): string[] {
    if (!this.wildcard) return [...this.names];
    const out = new Set(existing);
    for (const n of this.names) out.add(n);
    return [...out];
  }
}
