import type { ResourceType } from '../../xds';

/** Types that are full state and may be subscribed to by wildcard (xds-protocol.md §2.4). */
const WILDCARD_TYPES: ReadonlySet<ResourceType> = new Set(['clusters', 'listeners']);

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

  constructor(readonly type: ResourceType) {}

  /** State of the world: the request's names replace the set. Returns the names newly asked for. */
  replace(requested: string[]): { added: string[]; wildcardAdded: boolean } {
    const first = !this.active;
    this.active = true;
    const wasWildcard = this.wildcard;
    const explicit = requested.filter((n) => n !== '*');
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
    for (const n of subscribe) {
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

  /** The names this subscription selects out of what exists. */
  select(existing: Iterable<string>): string[] {
    if (!this.wildcard) return [...this.names];
    const out = new Set(existing);
    for (const n of this.names) out.add(n);
    return [...out];
  }
}
