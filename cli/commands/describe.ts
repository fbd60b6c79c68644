import { stringOption } from '../args';
import type { Command, Context } from '../command';
import { CliError, EXIT, UsageError } from '../exit-codes';
import { age, labelText } from '../format';
import { CONFIG_TYPES, configLines, type ConfigDump, type ConfigType } from './config-dump-format';
import { typeName } from './get';

type Json = Record<string, any>;

const getJson = async (ctx: Context, path: string, query: Record<string, string | undefined> = {}) => (await ctx.client.json<Json>('GET', path, { query })).body;

/** A short host (`reviews`) means the service in the VirtualService's own namespace, as Istio reads it. */
const fqdn = (host: string, ns: string) => (host.includes('.') ? host : `${host}.${ns}.svc.cluster.local`);

/** Istio's cluster name for a destination: outbound|port|subset|host (the port from the destination, else the ServiceEntry's only one). */
function clusterOf(d: Json, host: string, entries: Json[]): string {
  const ports = entries.filter((e) => (e.spec?.hosts ?? []).includes(host)).flatMap((e) => (e.spec?.ports ?? []).map((p: Json) => p.number));
  const port = d.port?.number ?? (ports.length === 1 ? ports[0] : undefined);
  return port === undefined ? `outbound|?|${d.subset ?? ''}|${host} (${ports.length ? `ports ${ports.join(',')}: name one` : 'no ServiceEntry declares it'})` : `outbound|${port}|${d.subset ?? ''}|${host}`;
}

/** The DestinationRule for a host and what it says of a subset. */
function ruleOf(host: string, subset: string | undefined, rules: Json[]): string {
  const rule = rules.find((r) => fqdn(r.spec?.host ?? '', r.metadata?.namespace) === host);
  if (!rule) return subset ? `no DestinationRule for ${host}: subset ${subset} is undefined` : 'no DestinationRule';
  const name = `DestinationRule ${rule.metadata.namespace}/${rule.metadata.name}`;
  if (!subset) return name;
  const found = (rule.spec.subsets ?? []).find((s: Json) => s.name === subset);
  return found ? `${name} subset ${subset} (${labelText(found.labels)})` : `${name} has no subset ${subset}`;
}

/** A route's destinations, each with its share, cluster and DestinationRule. */
function destinationLines(route: Json[], ns: string, entries: Json[], rules: Json[]): string[] {
  const total = route.reduce((sum, d) => sum + (route.length === 1 ? (d.weight ?? 100) : (d.weight ?? 0)), 0) || 1;
  return route.flatMap((d) => {
    const host = fqdn(d.destination?.host ?? '?', ns);
    const share = Math.round(((route.length === 1 ? (d.weight ?? 100) : (d.weight ?? 0)) * 100) / total);
    return [`    → ${host}${d.destination?.subset ? ` subset ${d.destination.subset}` : ''}  ${share}%`, `        cluster ${clusterOf(d.destination ?? {}, host, entries)}`, `        ${ruleOf(host, d.destination?.subset, rules)}`];
  });
}

const stepText = (r: Json) => `step ${Math.min(r.currentStep + 1, r.steps.length)} of ${r.steps.length}`;

async function describeRoute(ctx: Context, ns: string, name: string): Promise<number> {
  const vs = await getJson(ctx, `/api/v1/namespaces/${encodeURIComponent(ns)}/virtualservices/${encodeURIComponent(name)}`);
  const [entries, rules, progressing, paused] = await Promise.all([
    getJson(ctx, '/api/v1/serviceentries'),
    getJson(ctx, '/api/v1/destinationrules'),
    getJson(ctx, '/api/v1/rollouts', { state: 'progressing' }),
    getJson(ctx, '/api/v1/rollouts', { state: 'paused' }),
  ]);
  const owners = [...progressing.items, ...paused.items].filter((r: Json) => r.virtualService?.namespace === ns && r.virtualService?.name === name);
  if (ctx.json) {
    ctx.out(JSON.stringify({ virtualService: vs, owners }));
    return EXIT.ok;
  }
  const spec = vs.spec ?? {};
  const lines = [
    `VirtualService ${ns}/${name}  (revision ${vs.metadata?.resourceVersion}, ${age(vs.metadata?.creationTimestamp)} old)`,
    `  hosts:    ${(spec.hosts ?? []).join(', ') || '-'}`,
    `  gateways: ${(spec.gateways ?? ['mesh']).join(', ')}`,
    `  owned by: ${owners.length ? owners.map((r: Json) => `rollout ${r.id}${r.name ? ` (${r.name})` : ''}, ${r.state}, ${stepText(r)}, candidate at ${r.weight}%, on route ${r.route}`).join('; ') : 'no active rollout (writes to its weights are not refused)'}`,
  ];
  for (const kind of ['http', 'tls', 'tcp'] as const) {
    (spec[kind] ?? []).forEach((h: Json, i: number) => {
      const ref = h.name ?? `#${i}`;
      const owner = owners.find((r: Json) => r.route === ref || r.route === `#${i}`);
      lines.push('', `  ${kind}[${i}]${h.name ? ` ${h.name}` : ''}${owner ? `  ← rollout ${owner.id} owns these weights (a write moving them is refused without --force or --abort-rollout)` : ''}`);
      if (h.match?.length) lines.push(`    match: ${JSON.stringify(h.match)}`);
      lines.push(...destinationLines(h.route ?? [], ns, entries.items, rules.items));
    });
  }
  lines.forEach((l) => ctx.out(l));
  return EXIT.ok;
}

async function describeProxy(ctx: Context, node: string): Promise<number> {
  const proxies = await getJson(ctx, '/api/v1/proxies');
  const p = (proxies.items as Json[]).find((x) => x.nodeId === node);
  if (!p) throw new CliError(EXIT.notFound, `no proxy ${node} in the fleet (xdsflare get proxies lists them)`);
  const dump = await ctx.client.json<ConfigDump>('GET', '/api/v1/config_dump', { query: { node, mode: p.transport === 'ads' || p.bridge ? 'ads' : undefined } }).then((r) => r.body).catch(() => undefined);
  if (ctx.json) {
    ctx.out(JSON.stringify({ proxy: p, ...(dump ? { config: dump } : {}) }));
    return EXIT.ok;
  }
  const lines = [
    `proxy ${node}`,
    `  view:      ${p.view ?? '-'}`,
    `  transport: ${p.transport ?? '-'}${p.bridge ? ` through bridge ${p.bridge}` : ''}`,
    `  last seen: ${p.lastSeen ?? '-'} (${age(p.lastSeen)} ago)${p.stale ? ', stale: waited for by nobody, leaves the fleet after STATUS_FORGET_MS' : ''}`,
    '',
    '  subscriptions:',
  ];
  for (const [type, s] of Object.entries((p.subscriptions ?? {}) as Record<string, Json>)) {
    const synced = s.nack ? 'NACK' : s.acked && s.acked === s.served ? 'SYNCED' : s.served ? 'STALE' : '-';
    lines.push(`    ${typeName(type).padEnd(22)} ${synced.padEnd(7)} acked ${s.acked || '-'}, served ${s.served ?? '-'}${s.servedRevision !== undefined ? ` (revision ${s.servedRevision})` : ''}${type.includes('#') ? ` for ${type.split('#')[1]}` : ''}`);
    if (s.nack) lines.push(`      rejected ${s.nack.version ?? ''}: ${s.nack.message}`);
  }
  if (dump) lines.push('', `  receives (${CONFIG_TYPES.map((t) => `${dump.configs[t]?.resources.length ?? 0} ${t}`).join(', ')}); xdsflare proxy-config all ${node} lists them`);
  lines.forEach((l) => ctx.out(l));
  return EXIT.ok;
}

export const describeCommand: Command = {
  name: 'describe',
  summary: 'A route (VirtualService → DestinationRule → clusters, and the rollout that owns it) or a proxy, in words.',
  usage: 'virtualservice|vs|route <name> [-n <ns>] | proxy <node>',
  description: `
"describe vs <name>" follows each route of the VirtualService to its destinations: the share of
traffic each gets, the Envoy cluster it becomes (outbound|port|subset|host, Istio's names) and the
DestinationRule subset behind it, and says which active rollout owns which route's weights.
"describe proxy <node>" shows a proxy of the fleet: its view, transport and bridge, each
subscription as SYNCED, STALE or NACK (with the NACK's text) as istioctl proxy-status does, and how
many resources of each type it receives (proxy-config lists them).
-o json/yaml prints what it read. Exit codes: 0 found, 7 not found.`,
  options: { namespace: { type: 'string', short: 'n', value: '<ns>', description: 'namespace (default "default")' } },
  positionals: { min: 2, max: 2 },
  async run(ctx, values, [what, name]) {
    const subject = what!.toLowerCase();
    if (['virtualservice', 'virtualservices', 'vs', 'route'].includes(subject)) return describeRoute(ctx, stringOption(values, 'namespace') ?? 'default', name!);
    if (subject === 'proxy' || subject === 'proxies') return describeProxy(ctx, name!);
    throw new UsageError(`describe takes virtualservice (vs, route) or proxy, not "${what}"`);
  },
};

const PC_TYPES = [...CONFIG_TYPES, 'all'] as const;

/** istioctl proxy-config's spelling of "get config <node> --type <type>". */
export const proxyConfigCommand: Command = {
  name: 'proxy-config',
  summary: 'What a proxy receives, by type, as istioctl proxy-config: clusters, listeners, routes, endpoints or all.',
  usage: '<clusters|listeners|routes|endpoints|all> <node> [--ads]',
  description: `
The same tables as "xdsflare get config <node> --type <type>" (GET /api/v1/config_dump), under
istioctl's names; -o json/yaml prints the resources. Exit codes: 0 found, 7 no such node.`,
  options: { ads: { type: 'boolean', description: 'as the bridge serves it (ADS config sources), for a bridge client' } },
  positionals: { min: 2, max: 2 },
  async run(ctx, values, [type, node]) {
    const t = type!.toLowerCase().replace(/^(cluster|listener|route|endpoint)$/, '$1s');
    if (!(PC_TYPES as readonly string[]).includes(t)) throw new UsageError(`proxy-config takes ${PC_TYPES.join(', ')}, not "${type}"`);
    const { answer, body } = await ctx.client.json<ConfigDump>('GET', '/api/v1/config_dump', { query: { node: node!, mode: values.ads === true ? 'ads' : undefined } });
    if (ctx.json) ctx.out(answer.text.trim());
    else configLines(body, t === 'all' ? undefined : (t as ConfigType)).forEach((l) => ctx.out(l));
    return EXIT.ok;
  },
};
