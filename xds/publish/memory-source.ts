import type { IntentObject } from '../intent/types';
import { hostMatches } from '../translate/hosts';
import { objectKey, type ConfigSource } from './closure';
import { fullCompileFeatures, refsOf, type ObjectRef } from './refs';

/** A ConfigSource over objects in memory (what the edge answers from D1's object_refs): for tests and the bench. */
export class MemoryConfigSource implements ConfigSource {
  readonly objects = new Map<string, IntentObject>();
  queries = 0;

  constructor(objects: Iterable<IntentObject> = []) {
    for (const o of objects) this.objects.set(objectKey(o), o);
  }

  apply(changes: { before?: IntentObject; after?: IntentObject }[]): void {
    for (const c of changes) {
      if (c.after) this.objects.set(objectKey(c.after), c.after);
      else if (c.before) this.objects.delete(objectKey(c.before));
    }
  }

  async objectsReferring(refs: ObjectRef[]): Promise<IntentObject[]> {
    this.queries++;
    const wanted = new Set(refs.map((r) => `${r.role}\u0000${r.ref}`));
    return [...this.objects.values()].filter((o) => refsOf(o).some((r) => wanted.has(`${r.role}\u0000${r.ref}`)));
  }

  async hostsMatching(pattern: string): Promise<string[]> {
    this.queries++;
    return [...this.objects.values()].flatMap((o) => refsOf(o).filter((r) => r.role === 'host' && hostMatches(pattern, r.ref)).map((r) => r.ref));
  }

  async wildcardVirtualServices(): Promise<IntentObject[]> {
    this.queries++;
    return [...this.objects.values()].filter((o) => refsOf(o).some((r) => r.role === 'vshost' && r.ref.startsWith('*')));
  }

  async fullCompileObjects(): Promise<IntentObject[]> {
    this.queries++;
    return [...this.objects.values()].filter((o) => fullCompileFeatures(o).length);
  }

  async portUsage(ports: number[], cap: number): Promise<Map<number, { http: number; other: number }>> {
    this.queries++;
    const usage = new Map(ports.map((p) => [p, { http: 0, other: 0 }]));
    for (const o of this.objects.values()) {
      for (const r of refsOf(o)) {
        const u = (r.role === 'httpport' || r.role === 'port') && usage.get(Number(r.ref));
        if (u) u[r.role === 'httpport' ? 'http' : 'other']++;
      }
    }
    for (const u of usage.values()) Object.assign(u, { http: Math.min(u.http, cap), other: Math.min(u.other, cap) });
    return usage;
  }
}
