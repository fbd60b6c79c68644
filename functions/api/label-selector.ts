import { badRequest } from '../http/problem';

export type LabelSelector = (labels: Record<string, string>) => boolean;

const LABEL = /^[A-Za-z0-9]([-A-Za-z0-9_./]*[A-Za-z0-9])?$/;
const VALUE = /^([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?$/;

/**
 * Kubernetes' equality-based label selectors: `k=v`, `k==v`, `k!=v`, `k` (present), `!k` (absent),
 * comma-separated and all required. Set-based forms (`in`, `notin`) are refused by name.
 */
export function parseLabelSelector(selector: string | undefined, field = 'labelSelector'): LabelSelector {
  if (!selector?.trim()) return () => true;
  const tests = selector.split(',').map((raw): LabelSelector => {
    const term = raw.trim();
    const m = /^(!)?\s*([^=!\s]+)\s*(?:(==|=|!=)\s*(\S*))?$/.exec(term);
    const [, not, key, op, value] = m ?? [];
    if (!m || !LABEL.test(key!) || (not && op) || (op && !VALUE.test(value!))) {
      throw badRequest(`cannot parse label selector term "${term}"`, [{ path: field, message: `"${term}": use key=value, key!=value, key or !key (set-based "in"/"notin" are not supported)` }]);
    }
    if (!op) return not ? (l) => !(key! in l) : (l) => key! in l;
    return op === '!=' ? (l) => l[key!] !== value : (l) => l[key!] === value;
  });
  return (labels) => tests.every((t) => t(labels));
}
