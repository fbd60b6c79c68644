import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { defaultViews, parseManifest, renderView, translateIntents, validateIntent } from '..';
import { credentialReferences, resolveSdsNames, sdsNamesOf } from './references';

// ISTIO_MUTUAL's SDS secrets are the workload's own identity, served by the proxy's local SDS provider:
// they are no credential of this control plane, so the commit path's Secret checks (functions/secrets/check-references.ts) and SDS serving skip them.
it('ISTIO_MUTUAL secrets (default, ROOTCA) are no credential references', () => {
  const file = join(import.meta.dirname, '..', '..', 'test', 'golden', 'translate', 'dr-istio-mutual.in.yaml');
  const parsed = parseManifest(readFileSync(file, 'utf8'), 'application/yaml');
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.errors));
  const intents = parsed.documents.map((doc) => {
    const v = validateIntent(doc);
    if (!v.ok) throw new Error(JSON.stringify(v.errors));
    return v.object;
  });
  const { ir } = translateIntents(intents);
  const refs = credentialReferences(intents);
  expect(refs).toEqual([]);
  for (const view of defaultViews(ir).filter((v) => v.client === 'envoy')) {
    const names = sdsNamesOf(renderView(ir, view, { mode: 'ads' }));
    expect(names).toEqual(['ROOTCA', 'default']);
    expect(resolveSdsNames(names, refs, (r) => [r.namespace])).toEqual([]);
  }
});
