import { env } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { collectionItems, getRoot, getView, MemoryBlobStore, publishFull, translateIntents, type BlobStore, type PublishedRoot } from '../../xds';
import { applyManifest, type ApplyOptions } from '../../functions/api/apply';
import { readAllRows } from '../../functions/domain/config/d1-config-source';
import { R2BlobStore } from '../../functions/domain/config/r2-blob-store';
import { rowToIntent } from '../../functions/domain/db/store';
import type { Env } from '../../functions/env';
import { hostOf, meshManifest } from '../../bench/scale-mesh';
import { callJson, countRows, poll } from './helpers';

// The batched whole-mesh apply (functions/domain/config/staged-apply.ts) on real D1 and R2, with a batch
// of 40 objects so a few hundred objects take many batches: the path a 20,000-service manifest takes
// with the default batch (test/edge/scale-apply runs that size through the API).
const BATCH = 40;
const LABELS = { owner: 'gitops' };
const labelled = (docs: Record<string, unknown>[]): any[] => docs.map((d) => ({ ...d, metadata: { ...(d.metadata as object), labels: LABELS } }));
const gitops = (labels: Record<string, string>) => labels.owner === 'gitops';

const run = (docs: unknown[], o: Partial<ApplyOptions> = {}) =>
  applyManifest(env as unknown as Env, JSON.stringify(docs), 'application/json', { dryRun: false, batchObjects: BATCH, ...o, commit: { author: 'test', source: {}, ...(o.dryRun ? { dryRun: true } : {}) } });

/** The thrown problem or domain error of a refused apply. */
async function refusal(p: Promise<unknown>): Promise<any> {
  try {
    await p;
  } catch (err) {
    return err;
  }
  throw new Error('the apply was not refused');
}

async function counts() {
  return { revisions: await countRows('revisions'), objects: await countRows('objects'), history: await countRows('object_history'), staged: (await env.DB.prepare('select count(*) as n from apply_staging').first<{ n: number }>())!.n };
}

const headRoot = async () => (await env.DB.prepare('select id, root from revisions order by id desc limit 1').first<{ id: number; root: string }>())!;

/** Every published item (name and content hash) per view slot and type: what serving answers from. */
async function publishedItems(store: BlobStore, root: PublishedRoot): Promise<Record<string, [string, string][]>> {
  const out: Record<string, [string, string][]> = {};
  for (const [slot, key] of Object.entries(root.views)) {
    const view = await getView(store, key);
    for (const [type, t] of Object.entries(view.types)) {
      const items: [string, string][] = [];
      for await (const item of collectionItems(store, t.items)) items.push([item.name, item.hash]);
      out[`${slot} ${type}`] = items;
    }
  }
  return out;
}

/** What a full compile of the stored objects publishes: the batches must come to the same. */
async function fromScratch(): Promise<{ root: PublishedRoot; store: BlobStore }> {
  const intents = [...(await readAllRows(env.DB)).values()].map(rowToIntent);
  const { ir, errors } = translateIntents(intents);
  expect(errors).toEqual([]);
  const store = new MemoryBlobStore();
  return { root: (await publishFull(store, ir, 0)).root, store };
}

describe('a whole-mesh apply in batches', { timeout: 120_000 }, () => {
  it('commits 100 services (300 objects, 8 batches) as one revision that publishes what a full compile does', async () => {
    const before = await counts();
    const { outcome } = await run(labelled(meshManifest(0, 100)), { prune: gitops });
    expect(outcome.committed).toBe(true);
    expect(outcome.cost).toMatchObject({ mode: 'batched', batches: 8 });
    expect(outcome.changes).toHaveLength(300);
    expect(await counts()).toEqual({ revisions: before.revisions + 1, objects: before.objects + 300, history: before.history + 300, staged: 0 });

    const head = await headRoot();
    expect(head.id).toBe(outcome.revision);
    const r2 = new R2BlobStore(env.CONFIG);
    const published = await getRoot(r2, head.root);
    const scratch = await fromScratch();
    expect(published.mode).toBe('incremental');
    expect(published.selector).toEqual(scratch.root.selector);
    expect(await publishedItems(r2, published)).toEqual(await publishedItems(scratch.store, scratch.root));

    // The revision lists its changes, and history holds each object as a one-shot commit writes it.
    const revision = await callJson('GET', `/api/v1/revisions/${outcome.revision}`);
    expect(revision.body.changes).toHaveLength(300);
    const vs = await callJson('GET', '/api/v1/namespaces/scale/virtualservices/svc-42');
    expect(vs.body.metadata).toMatchObject({ labels: LABELS, resourceVersion: String(outcome.revision), generation: 1 });
    const cds = await poll('clusters');
    expect(cds.body!.resources.map((c) => c.name)).toContain(`outbound|8080|v2|${hostOf(99, 'scale')}`);
  });

  it('re-applied unchanged, commits nothing; with prune, deletes what the manifest no longer holds in the same one revision', async () => {
    const same = await run(labelled(meshManifest(0, 100)), { prune: gitops });
    expect(same.outcome.committed).toBe(false);
    expect(same.outcome.changes.every((c) => c.op === 'unchanged')).toBe(true);

    const before = await counts();
    const docs = labelled(meshManifest(0, 80));
    (docs[2].spec.http[0].route as { weight: number }[]).forEach((r, i) => (r.weight = i ? 30 : 70));
    const { outcome } = await run(docs, { prune: gitops });
    expect(outcome.committed).toBe(true);
    expect(outcome.cost.mode).toBe('batched');
    expect(outcome.changes.filter((c) => c.op === 'deleted')).toHaveLength(60);
    expect(outcome.changes.filter((c) => c.op === 'updated')).toHaveLength(1);
    expect(await counts()).toEqual({ revisions: before.revisions + 1, objects: before.objects - 60, history: before.history + 61, staged: 0 });
    const head = await headRoot();
    const r2 = new R2BlobStore(env.CONFIG);
    const scratch = await fromScratch();
    expect(await publishedItems(r2, await getRoot(r2, head.root))).toEqual(await publishedItems(scratch.store, scratch.root));
    const names = (await poll('clusters')).body!.resources.map((c) => c.name);
    expect(names).not.toContain(`outbound|8080|v1|${hostOf(80, 'scale')}`);
    expect(names).toContain(`outbound|8080|v1|${hostOf(79, 'scale')}`);
  });

  it('refuses a manifest with one bad object after batches were staged, naming it, and stores nothing', async () => {
    const docs = labelled(meshManifest(0, 150));
    docs[401].spec.http[0].route[0].weight = -5;
    const before = await counts();
    const err = await refusal(run(docs, { prune: gitops }));
    expect(err.problem.status).toBe(400);
    expect(err.problem.errors.map((e: { path: string }) => e.path)).toEqual(['[401].spec.http[0].route[0].weight']);
    expect(await counts()).toEqual(before);
  });

  it('refuses a batch whose routes name a subset nobody defines (409 naming it), and stores nothing', async () => {
    const docs = labelled(meshManifest(0, 150));
    docs[3 * 120 + 2].spec.http[0].route[0].destination.subset = 'v9';
    const before = await counts();
    const err = await refusal(run(docs, { prune: gitops }));
    expect(err.reason).toBe('inconsistent');
    expect(JSON.stringify(err.fields)).toContain('v9');
    expect(JSON.stringify(err.fields)).toContain('svc-120');
    expect(await counts()).toEqual(before);
    expect((await callJson('GET', '/api/v1/namespaces/scale/serviceentries/svc-120')).status).toBe(404);
  });

  it('a dry run reports the changes and stores nothing', async () => {
    const before = await counts();
    const { outcome } = await run(labelled(meshManifest(0, 120)), { prune: gitops, dryRun: true });
    expect(outcome.committed).toBe(false);
    expect(outcome.cost.mode).toBe('batched');
    expect(outcome.changes.filter((c) => c.op === 'created')).toHaveLength(120);
    expect(outcome.renderedChanges!.map((c) => c.name)).toContain(`outbound|8080|v1|${hostOf(110, 'scale')}`);
    expect(outcome.violations).toEqual([]);
    expect(await counts()).toEqual(before);
  });

  it('loses no concurrent write: a one-object write during a batched apply either lands first (the apply is told to retry) or after it', async () => {
    const docs = labelled(meshManifest(0, 120));
    const before = await counts();
    const patch = callJson('PATCH', '/api/v1/namespaces/scale/virtualservices/svc-7', {
      body: { spec: { http: [{ route: [{ destination: { host: hostOf(7, 'scale'), subset: 'v1' }, weight: 11 }, { destination: { host: hostOf(7, 'scale'), subset: 'v2' }, weight: 89 }] }] } },
      contentType: 'application/merge-patch+json',
    });
    const [whole, one] = await Promise.all([run(docs, { prune: gitops }).then((r) => r.outcome, (err) => err), patch]);
    const weights = async () => (await callJson('GET', '/api/v1/namespaces/scale/virtualservices/svc-7')).body.spec.http[0].route.map((r: { weight: number }) => r.weight);
    const svc100 = async () => (await callJson('GET', '/api/v1/namespaces/scale/serviceentries/svc-100')).status;
    if (whole.committed) {
      // The apply committed; the patch either landed before it (and the apply re-set the weights) or after it, or was told to retry.
      expect(await svc100()).toBe(200);
      if (one.status === 409) expect(one.body.detail).toMatch(/retry/);
      else expect(one.status).toBe(200);
    } else {
      expect(whole.reason).toBe('revision-taken');
      expect(one.status).toBe(200);
      expect(await weights()).toEqual([11, 89]);
      expect(await svc100()).toBe(404);
      expect((await counts()).staged).toBe(0);
      expect((await counts()).revisions).toBe(before.revisions + 1);
    }
    const ids = (await env.DB.prepare('select id from revisions order by id').all<{ id: number }>()).results.map((r) => r.id);
    expect(ids).toEqual(ids.map((_, i) => ids[0]! + i));
  });

  it('falls back to the one-shot commit for configs only a full compile renders, and still commits one revision', async () => {
    const docs = labelled(meshManifest(200, 230));
    docs.push({
      apiVersion: 'networking.istio.io/v1alpha3',
      kind: 'EnvoyFilter',
      metadata: { name: 'hdr', namespace: 'scale', labels: LABELS },
      spec: { configPatches: [{ applyTo: 'CLUSTER', match: { context: 'SIDECAR_OUTBOUND', cluster: { service: hostOf(201, 'scale') } }, patch: { operation: 'MERGE', value: { connect_timeout: '7s' } } }] },
    });
    const before = await counts();
    const { outcome } = await run(docs);
    expect(outcome.committed).toBe(true);
    expect(outcome.cost.reason).toMatch(/batched apply fell back/);
    expect(await counts()).toEqual({ ...before, revisions: before.revisions + 1, objects: before.objects + 91, history: before.history + 91 });
    const cds = await poll('clusters');
    expect(cds.body!.resources.find((c) => c.name === `outbound|8080|v1|${hostOf(201, 'scale')}`)?.connect_timeout).toBe('7s');
  });
});
