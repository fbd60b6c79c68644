import type { IntentObject } from '../intent/types';

const exportToOf = (o: IntentObject): string[] | undefined => (o.spec as { exportTo?: string[] } | undefined)?.exportTo;

/** exportTo that hides the object from some namespace (unset and `*` hide nothing). */
const restricts = (exportTo: string[] | undefined): exportTo is string[] => exportTo !== undefined && !exportTo.includes('*');

/**
 * Whether proxies in `namespace` see the object (undefined: a proxy without a namespace), as Istio's
 * exportTo: `*` everyone, `.` the object's own namespace, a name that namespace, `~` no one.
 */
export function isVisible(o: IntentObject, namespace: string | undefined): boolean {
  const exportTo = exportToOf(o);
  if (!restricts(exportTo)) return true;
  if (namespace === undefined) return false;
  return exportTo.includes(namespace) || (exportTo.includes('.') && o.metadata.namespace === namespace);
}

/**
 * The namespaces whose proxies see something other proxies do not: those named in an exportTo, and
 * the own namespace of objects exported with `.`. Every other namespace sees just the objects
 * exported everywhere, like a proxy without a namespace, and shares its views. Sorted; empty when
 * no exportTo restricts anything.
 */
export function scopedNamespaces(objects: IntentObject[]): string[] {
  const names = new Set<string>();
  for (const o of objects) {
    const exportTo = exportToOf(o);
    if (!restricts(exportTo)) continue;
    for (const e of exportTo) {
      if (e === '.') names.add(o.metadata.namespace);
      else if (e !== '~') names.add(e);
    }
  }
  return [...names].sort();
}
