import type { View } from './view-types';

/**
 * A stable key: proxies with equal keys share one rendered snapshot. Dimensions are appended only
 * when the view has them, so configs that use none keep the keys they always had, e.g.
 * `envoy|mesh`, `envoy|gw:istio-system/ingress`, `envoy|mesh|ns:bookinfo|loc:eu-west1/eu-west1-a|src:2,5|lbl:tier=a`, `envoy|mesh|ns:test-egress|dr:0`,
 * `grpc|mesh|sc:bookinfo/default`.
 */
export function viewKey(view: View): string {
  const parts = [view.client, view.gateways.length ? `gw:${view.gateways.join(',')}` : 'mesh'];
  if (view.namespace) parts.push(`ns:${view.namespace}`);
  if (view.sidecar) parts.push(`sc:${view.sidecar}`);
  if (view.destinationRules?.length) parts.push(`dr:${view.destinationRules.join(',')}`);
  // Locality names are free text in Envoy: encoded so they cannot break the key apart.
  if (view.locality?.length) parts.push(`loc:${view.locality.map(encodeURIComponent).join('/')}`);
  if (view.sources?.length) parts.push(`src:${view.sources.join(',')}`);
  // Label keys and values, sorted by key and encoded so "=" and "," stay separators.
  const labels = Object.entries(view.labels ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  if (labels.length) parts.push(`lbl:${labels.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join(',')}`);
  return parts.join('|');
}

/** The inverse of `viewKey`; throws on anything `viewKey` cannot have made. */
export function parseView(key: string): View {
  const [client, rest = 'mesh', ...dims] = key.split('|');
  if ((client !== 'envoy' && client !== 'grpc') || (rest !== 'mesh' && !rest.startsWith('gw:'))) throw new Error(`not a view key: ${key}`);
  const view: View = { client, gateways: rest === 'mesh' ? [] : rest.slice('gw:'.length).split(',') };
  for (const dim of dims) {
    const [name, value = ''] = [dim.slice(0, dim.indexOf(':')), dim.slice(dim.indexOf(':') + 1)];
    if (!value) throw new Error(`not a view key: ${key}`);
    if (name === 'ns' && !view.namespace) view.namespace = value;
    else if (name === 'sc' && !view.sidecar && /^[^/]+\/[^/]+$/.test(value)) view.sidecar = value;
    else if (name === 'dr' && !view.destinationRules && /^\d+(,\d+)*$/.test(value)) view.destinationRules = value.split(',').map(Number);
    else if (name === 'loc' && !view.locality) view.locality = value.split('/').map(decodeURIComponent);
    else if (name === 'src' && !view.sources && /^\d+(,\d+)*$/.test(value)) view.sources = value.split(',').map(Number);
    else if (name === 'lbl' && !view.labels && /^[^=,]+=[^=,]+(,[^=,]+=[^=,]+)*$/.test(value)) {
      view.labels = Object.fromEntries(value.split(',').map((kv) => kv.split('=').map(decodeURIComponent) as [string, string]));
    }
    else throw new Error(`not a view key: ${key}`);
  }
  return view;
}
