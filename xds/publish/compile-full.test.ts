import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseManifest, validateIntent, type IntentObject } from '../intent';
import { defaultViews, viewKey } from '../ir/view';
import { renderView } from '../render/render';
import { translateIntents } from '../translate/to-ir';
import { collectionItems } from './collection';
import { publishFull, variantsOf } from './compile-full';
import { MemoryBlobStore } from './memory-store';
import { getView, itemText, REFRESH_DELAY_PLACEHOLDER, XDS_CLUSTER_PLACEHOLDER } from './published-view';
import { getRoot, viewSlot } from './root';

const dir = join(import.meta.dirname, '..', '..', 'test', 'golden', 'translate');
const cases = readdirSync(dir).filter((f) => f.endsWith('.in.yaml')).map((f) => f.slice(0, -'.in.yaml'.length));

function load(name: string): IntentObject[] {
  const parsed = parseManifest(readFileSync(join(dir, `${name}.in.yaml`), 'utf8'), 'application/yaml');
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.errors));
  return parsed.documents.map((doc, i) => {
    const v = validateIntent(doc, { path: `[${i}]` });
    if (!v.ok) throw new Error(JSON.stringify(v.errors));
    return v.object;
  });
}

const fill = (text: string) => text.replaceAll(XDS_CLUSTER_PLACEHOLDER, 'xds_cluster').replaceAll(REFRESH_DELAY_PLACEHOLDER, '1s');

describe.each(cases)('published config: %s', (name) => {
  it('holds, view by view and type by type, exactly what the renderer renders', async () => {
    const { ir } = translateIntents(load(name));
    const store = new MemoryBlobStore();
    const { root, key } = await publishFull(store, ir, 7);
    expect(await getRoot(store, key)).toEqual(root);
    for (const view of defaultViews(ir)) {
      for (const variant of variantsOf(view.client)) {
        const published = await getView(store, root.views[viewSlot(viewKey(view), variant)]!);
        const rendered = renderView(ir, view, variant === 'ads' ? { mode: 'ads' } : { mode: 'rest', xdsCluster: 'xds_cluster', refreshDelay: '1s' });
        for (const [type, t] of Object.entries(rendered.types)) {
          const texts: string[] = [];
          for await (const item of collectionItems(store, published.types[type as keyof typeof rendered.types].items)) texts.push(fill(await itemText(store, item)));
          expect(texts).toEqual([...t.resources.values()].map((r) => JSON.stringify(r.json)));
        }
      }
    }
  });
});

it('publishes the same config to the same keys (content-addressed)', async () => {
  const { ir } = translateIntents(load('bookinfo'));
  const a = await publishFull(new MemoryBlobStore(), ir, 1);
  const b = await publishFull(new MemoryBlobStore(), ir, 1);
  expect(a.key).toBe(b.key);
});

it('publishes a route configuration of many virtual hosts as a composite whose text is the rendered one', async () => {
  const objects: IntentObject[] = Array.from({ length: 40 }, (_, i) => ({
    apiVersion: 'networking.istio.io/v1',
    kind: 'ServiceEntry',
    metadata: { name: `svc-${i}`, namespace: 'bench' },
    spec: { hosts: [`svc-${i}.bench.svc.cluster.local`], location: 'MESH_INTERNAL', resolution: 'STATIC', ports: [{ number: 8080, name: 'http', protocol: 'HTTP' }], endpoints: [{ address: `10.0.0.${i + 1}` }] },
  })) as IntentObject[];
  const { ir, errors } = translateIntents(objects);
  expect(errors).toEqual([]);
  const store = new MemoryBlobStore();
  const { root } = await publishFull(store, ir, 1);
  const published = await getView(store, root.views[viewSlot('envoy|mesh', 'ads')]!);
  expect(published.types.routes.composites).toBe(true);
  const rendered = renderView(ir, { client: 'envoy', gateways: [] }, { mode: 'ads' });
  const texts: string[] = [];
  for await (const item of collectionItems(store, published.types.routes.items)) texts.push(await itemText(store, item));
  expect(texts).toEqual([...rendered.types.routes.resources.values()].map((r) => JSON.stringify(r.json)));
});
