import type { Context } from './command';
import { comparableObject, diffRendered, patchBetween, type Rendered } from '../xds/diff';
import type { IntentDiff, RenderedDiff } from './diff';
import { pluralOf, RESOURCES } from './resources';

/** What POST /api/v1/apply answers. */
export interface ApplyAnswer {
  revision: number | null;
  committed: boolean;
  dryRun: boolean;
  changes: { op: string; kind: string; namespace: string; name: string }[];
  warnings: { path: string; message: string; object?: string }[];
  /** Dry run: what a real apply would refuse with 422. */
  errors?: { path: string; message: string; object?: string; rule?: string }[];
  /** Dry run: the Envoy resources the change adds or changes (edges before published config: every resource after it). */
  rendered?: Rendered;
  /** Dry run, when the edge computes it: the change in intents and in rendered resources. */
  diff?: { intents?: IntentDiff[]; rendered?: { view: string; type: string; name: string; op: string }[] };
}

type Key = { kind: string; namespace: string; name: string };
const keyOf = (k: Key) => `${k.kind}/${k.namespace}/${k.name}`;
const keyOfObject = (o: unknown) => {
  const c = comparableObject(o) as { kind: string; metadata: { namespace: string; name: string } };
  return keyOf({ kind: c.kind, namespace: c.metadata.namespace, name: c.metadata.name });
};

async function readObject(ctx: Context, k: Key): Promise<unknown> {
  const path = `/api/v1/namespaces/${encodeURIComponent(k.namespace)}/${pluralOf(k.kind)}/${encodeURIComponent(k.name)}`;
  return (await ctx.client.json('GET', path)).body;
}

/** Any one stored object (not a Secret: manifests cannot hold them), or undefined when there is none. */
async function anyStoredObject(ctx: Context): Promise<unknown> {
  for (const r of RESOURCES.filter((r) => r.kind !== 'Secret')) {
    const { body } = await ctx.client.json<{ items: unknown[] }>('GET', `/api/v1/${r.plural}`);
    if (body.items[0]) return body.items[0];
  }
  return undefined;
}

/**
 * The Envoy resources as they are now. The dry run answers only the state after the change, so the
 * state before is a second dry run of one stored object, unchanged: it renders the current config.
 */
async function renderedNow(ctx: Context, stored: unknown): Promise<Rendered> {
  if (stored === undefined) return {};
  const { body } = await ctx.client.json<{ rendered?: Rendered }>('POST', '/api/v1/apply', { query: { dryRun: true }, body: JSON.stringify([comparableObject(stored)]) });
  return body.rendered ?? {};
}

/** The dry run's change in intents (a patch per updated object) and in rendered resources. */
export async function dryRunDiff(ctx: Context, answer: ApplyAnswer, objects: unknown[]): Promise<{ intents: IntentDiff[]; rendered: RenderedDiff[] }> {
  const given = new Map(objects.map((o) => [keyOfObject(o), o]));
  const touched = answer.changes.filter((c) => c.op === 'updated' || c.op === 'deleted');
  const stored = new Map(await Promise.all(touched.map(async (c) => [keyOf(c), await readObject(ctx, c)] as const)));
  const intents = answer.changes.map((c): IntentDiff => (c.op === 'updated' ? { ...c, patch: patchBetween(stored.get(keyOf(c)), given.get(keyOf(c))) } : c));
  // Edges since published config list the rendered changes themselves; older ones answered every resource after the change.
  if (answer.diff?.rendered) return { intents, rendered: answer.diff.rendered };
  if (!answer.rendered) return { intents, rendered: [] };
  const unchanged = answer.changes.find((c) => c.op === 'unchanged');
  const sample = stored.values().next().value ?? (unchanged ? await readObject(ctx, unchanged) : await anyStoredObject(ctx));
  return { intents, rendered: diffRendered(await renderedNow(ctx, sample), answer.rendered) };
}
