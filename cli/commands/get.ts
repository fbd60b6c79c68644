import { stringify } from 'yaml';
import { stringOption } from '../args';
import type { Command, Context, Values } from '../command';
import { formatIntentDiff, formatRenderedDiff, type IntentDiff, type RenderedDiff } from '../diff';
import { EXIT, UsageError } from '../exit-codes';
import { age, labelText, table } from '../format';
import { resolveResource, RESOURCES, type Resource } from '../resources';
import { formatRollout, rolloutRow, ROLLOUT_COLUMNS, type Rollout } from './rollout-format';
import { revisionArg } from './status';
import { headRevision } from '../wait';
import { CONFIG_TYPES, configLines, type ConfigDump, type ConfigType } from './config-dump-format';
import { watchAnswer, WATCH_OPTION, type WatchSpec } from '../watch';

type Json = Record<string, any>;

/** Prints the answer: exactly with -o json, else through `text`; with --watch, again on every change. */
async function show(ctx: Context, values: Values, path: string, query: Record<string, string | undefined>, text: (body: Json) => string[], watch: WatchSpec = {}) {
  if (values.watch === true) return watchAnswer(ctx, path, query, text, watch);
  const { body, answer } = await ctx.client.json<Json>('GET', path, { query });
  if (ctx.json) ctx.out(answer.text.trim());
  else text(body).forEach((l) => ctx.out(l));
  return EXIT.ok;
}

/** A rollout's `source.step`: "0", "1"… (0-based, printed 1-based as everywhere in the CLI) or "rollback" (its abort). */
export const rolloutStepText = (step: string | undefined) => (step === undefined ? '' : /^\d+$/.test(step) ? ` step ${Number(step) + 1}` : ` ${step}`);

export const sourceText = (s: Record<string, string> | undefined) => {
  if (!s) return '-';
  const parts = [s.ciPipeline, s.ciRunId && `run ${s.ciRunId}`, s.ciCommit && s.ciCommit.slice(0, 12), s.rollout && `rollout ${s.rollout}${rolloutStepText(s.step)}`, s.rollbackTo && `rollback to ${s.rollbackTo}`].filter(Boolean);
  return parts.join(' ') || '-';
};

const changesText = (changes: { op: string }[] | undefined) => {
  const counts = new Map<string, number>();
  for (const c of changes ?? []) counts.set(c.op, (counts.get(c.op) ?? 0) + 1);
  return [...counts].map(([op, n]) => `${n} ${op}`).join(', ') || '-';
};

function revisionLines(r: Json): string[] {
  const lines = [`revision ${r.revision}`, `  created: ${r.createdAt} by ${r.author}`, `  source:  ${sourceText(r.source)}`, `  outcome: ${r.outcome ?? '-'}`];
  const diff = r.diff as { intents: IntentDiff[]; rendered: RenderedDiff[]; counts?: { intents: number; rendered: number }; truncated?: boolean; errors?: string[] } | undefined;
  const intents: IntentDiff[] = diff?.intents ?? r.changes ?? [];
  lines.push('', `Objects: ${diff?.counts?.intents ?? intents.length} changed`, ...formatIntentDiff(intents).map((l) => `  ${l}`));
  if (diff) {
    lines.push('', `Envoy resources: ${diff.counts?.rendered ?? diff.rendered.length} changed`, ...formatRenderedDiff(diff.rendered));
    if (diff.truncated) lines.push(`  (the edge cut the diff: -o json shows what it sent)`);
    for (const e of diff.errors ?? []) lines.push(`  no rendered diff: ${e}`);
  }
  return lines;
}

const hostsOf = (spec: Json | undefined) => (Array.isArray(spec?.hosts) ? spec.hosts.join(',') : typeof spec?.host === 'string' ? spec.host : '-');

const destinationText = (d: Json) => `${d.destination?.host ?? '?'}${d.destination?.subset ? `:${d.destination.subset}` : ''}${d.weight !== undefined ? ` ${d.weight}` : ''}`;
const list = (items: string[]) => items.join(',') || '-';

/** -o wide: what each kind adds to its row (the columns and the cells of one object). */
const WIDE: Record<string, { columns: string[]; cells: (spec: Json) => string[] }> = {
  ServiceEntry: { columns: ['PORTS', 'RESOLUTION', 'LOCATION', 'ENDPOINTS'], cells: (s) => [list((s.ports ?? []).map((p: Json) => `${p.number}/${p.protocol ?? '-'}`)), s.resolution ?? '-', s.location ?? '-', String((s.endpoints ?? []).length)] },
  DestinationRule: { columns: ['SUBSETS', 'LB'], cells: (s) => [list((s.subsets ?? []).map((x: Json) => x.name)), Object.keys(s.trafficPolicy?.loadBalancer ?? {}).map((k) => (k === 'simple' ? s.trafficPolicy.loadBalancer.simple : k)).join(',') || '-'] },
  VirtualService: { columns: ['GATEWAYS', 'HTTP', 'DESTINATIONS'], cells: (s) => [list(s.gateways ?? []), String((s.http ?? []).length), list((s.http ?? []).flatMap((h: Json) => (h.route ?? []).map(destinationText)))] },
  Gateway: { columns: ['SERVERS'], cells: (s) => [list((s.servers ?? []).map((x: Json) => `${x.port?.number}/${x.port?.protocol ?? '-'}`))] },
  EnvoyFilter: { columns: ['PATCHES'], cells: (s) => [list((s.configPatches ?? []).map((p: Json) => `${p.applyTo}:${p.patch?.operation ?? '-'}`))] },
};

function objectLines(r: Resource, body: Json, wide = false): string[] {
  if (!Array.isArray(body.items)) return [stringify(body).trimEnd()];
  if (!body.items.length) return [`no ${r.plural} found`];
  const extra = wide ? WIDE[r.kind] : undefined;
  const rows = body.items.map((o: Json) => [o.metadata?.namespace ?? '', o.metadata?.name ?? '', r.kind === 'Secret' ? (o.type ?? '-') : hostsOf(o.spec), ...(extra ? extra.cells(o.spec ?? {}) : []), labelText(o.metadata?.labels), o.metadata?.resourceVersion ?? '-', ...(wide ? [String(o.metadata?.generation ?? '-')] : []), age(o.metadata?.creationTimestamp)]);
  return table(['NAMESPACE', 'NAME', r.kind === 'Secret' ? 'TYPE' : 'HOSTS', ...(extra?.columns ?? []), 'LABELS', 'REVISION', ...(wide ? ['GENERATION'] : []), 'AGE'], rows).split('\n');
}

/** `type.googleapis.com/envoy.config.cluster.v3.Cluster#names` → `Cluster`, as istioctl's CDS/LDS/EDS/RDS columns. */
export const typeName = (url: string) => url.replace(/#.*$/, '').split('.').pop() ?? url;

function proxyLines(body: Json, wide = false): string[] {
  if (!body.items?.length) return ['no proxies have been seen'];
  const rows = body.items.map((p: Json) => {
    const subs = Object.entries((p.subscriptions ?? {}) as Record<string, Json>);
    const nacks = subs.filter(([, s]) => s.nack).map(([t]) => t);
    const row = [p.nodeId, p.view ?? '-', p.transport ?? '-', p.bridge ?? '-', age(p.lastSeen), p.stale ? 'yes' : 'no', nacks.join(',') || '-'];
    if (!wide) return row;
    const revisions = [...new Set(subs.map(([, s]) => s.servedRevision).filter((n) => n !== undefined))];
    const acked = subs.map(([t, s]) => `${typeName(t)}=${s.acked || '-'}`).join(' ');
    const nack = subs.find(([, s]) => s.nack)?.[1]?.nack?.message as string | undefined;
    return [...row, list(revisions.map(String)), acked || '-', nack ? (nack.length > 60 ? `${nack.slice(0, 59)}…` : nack) : '-'];
  });
  return table(['NODE', 'VIEW', 'TRANSPORT', 'BRIDGE', 'LAST SEEN', 'STALE', 'NACKED', ...(wide ? ['SERVED REVISION', 'ACKED', 'NACK'] : [])], rows).split('\n');
}

function getObjects(ctx: Context, r: Resource, name: string | undefined, values: Values) {
  const namespace = stringOption(values, 'namespace');
  const selector = stringOption(values, 'selector');
  const ns = encodeURIComponent(namespace ?? 'default');
  const path = name ? `/api/v1/namespaces/${ns}/${r.plural}/${encodeURIComponent(name)}` : namespace ? `/api/v1/namespaces/${ns}/${r.plural}` : `/api/v1/${r.plural}`;
  return show(ctx, values, path, { labelSelector: selector }, (body) => objectLines(r, body, ctx.wide));
}

export const get: Command = {
  name: 'get',
  summary: 'Show objects, revisions, rollouts or proxies.',
  usage: '<kind|plural|short> [<name>] [-n <ns>] [-l <selector>] | revisions | revision <n> | rollouts | rollout <id> | proxies | config <node> [--type t] [--ads]',
  description: `
Kinds: ${RESOURCES.map((r) => `${r.plural} (${r.short})`).join(', ')}. A name is looked up in
-n's namespace (default "default"); a list without -n covers every namespace. One object prints
as YAML. "revision <n>" shows who made it, from which CI run, and its diff: each object's RFC 6902
patch and the Envoy resources it added, changed or removed per view. "config <node>" lists what that
proxy receives, resource by resource, as istioctl proxy-config does (-o json/yaml: the resources).
-o wide adds columns: ports, subsets, destinations and so on per kind; a proxy's served revision,
acknowledged versions and NACK message; a revision's CI commit; a rollout's steps and destinations.
--watch (-w) prints again whenever the answer changes, until interrupted (a rollout: until it has
finished, asking the edge with ?wait=): on a terminal it redraws the screen, into a pipe it prints
each change once, with nothing else.
Exit codes: 0 found, 7 not found.`,
  options: {
    namespace: { type: 'string', short: 'n', value: '<ns>', description: 'namespace' },
    selector: { type: 'string', short: 'l', value: '<k=v,...>', description: 'label selector for lists' },
    limit: { type: 'string', value: '<n>', description: 'revisions: how many (newest first, default 50)' },
    before: { type: 'string', value: '<n>', description: 'revisions: only those before revision n' },
    state: { type: 'string', value: '<state>', description: 'rollouts: only progressing, paused, succeeded or aborted' },
    type: { type: 'string', value: '<type>', description: `config: only ${CONFIG_TYPES.join(', ')}` },
    ads: { type: 'boolean', description: 'config: as the bridge serves it (ADS config sources), for a bridge client' },
    ...WATCH_OPTION,
  },
  positionals: { min: 1, max: 2 },
  async run(ctx, values, [what, arg]) {
    const subject = what!.toLowerCase();
    if (subject === 'revisions' || subject === 'rev') {
      if (arg !== undefined) throw new UsageError('use "get revision <n>" for one revision');
      const wide = ctx.wide;
      return show(ctx, values, '/api/v1/revisions', { limit: stringOption(values, 'limit'), before: stringOption(values, 'before') }, (body) =>
        body.items?.length
          ? table(
              ['REVISION', 'AGE', 'AUTHOR', 'CHANGES', 'SOURCE', 'OUTCOME', ...(wide ? ['CREATED', 'COMMIT', 'OBJECTS'] : [])],
              body.items.map((r: Json) => [String(r.revision), age(r.createdAt), r.author ?? '-', changesText(r.changes), sourceText(r.source), r.outcome ?? '-', ...(wide ? [r.createdAt ?? '-', r.source?.ciCommit ?? '-', list((r.changes ?? []).slice(0, 3).map((c: Json) => `${c.kind}/${c.namespace}/${c.name}`)) + ((r.changes ?? []).length > 3 ? ',…' : '')] : [])]),
            ).split('\n')
          : ['no revisions yet'],
      );
    }
    if (subject === 'revision') {
      const n = revisionArg(arg);
      return show(ctx, values, `/api/v1/revisions/${n === 'head' ? await headRevision(ctx) : n}`, {}, revisionLines);
    }
    if (subject === 'rollouts') {
      const wide = ctx.wide;
      const destination = (d: Json | undefined) => (d ? `${d.host}${d.subset ? `:${d.subset}` : ''}` : '-');
      return show(ctx, values, '/api/v1/rollouts', { state: stringOption(values, 'state') }, (body) =>
        body.items?.length
          ? table([...ROLLOUT_COLUMNS, ...(wide ? ['STEPS', 'STABLE', 'CANDIDATE'] : [])], body.items.map((r: Rollout & Json) => [...rolloutRow(r), ...(wide ? [(r.steps ?? []).join(','), destination(r.stable), destination(r.candidate)] : [])])).split('\n')
          : ['no rollouts'],
      );
    }
    if (subject === 'rollout') {
      if (!arg) throw new UsageError('get rollout needs an id');
      // Held with ?wait= (it answers early once the rollout finished); the watch ends then.
      return show(ctx, values, `/api/v1/rollouts/${encodeURIComponent(arg)}`, {}, (body) => formatRollout(body as Rollout), { hold: true, done: (body) => body.state === 'succeeded' || body.state === 'aborted' });
    }
    if (subject === 'proxies' || subject === 'proxy') {
      if (arg !== undefined) throw new UsageError('get proxies takes no name; "get config <node>" shows what one receives');
      return show(ctx, values, '/api/v1/proxies', {}, (body) => proxyLines(body, ctx.wide));
    }
    if (subject === 'config') {
      if (!arg) throw new UsageError('get config needs a node id (xdsflare get proxies lists them)');
      const type = stringOption(values, 'type');
      if (type !== undefined && !CONFIG_TYPES.includes(type as ConfigType)) throw new UsageError(`--type must be one of ${CONFIG_TYPES.join(', ')}, not "${type}"`);
      return show(ctx, values, '/api/v1/config_dump', { node: arg, mode: values.ads === true ? 'ads' : undefined }, (body) => configLines(body as ConfigDump, type as ConfigType | undefined));
    }
    const resource = resolveResource(subject);
    if (!resource) throw new UsageError(`unknown kind "${what}"; expected one of ${RESOURCES.map((r) => r.plural).join(', ')}, revisions, revision, rollouts, proxies`);
    return getObjects(ctx, resource, arg, values);
  },
};
