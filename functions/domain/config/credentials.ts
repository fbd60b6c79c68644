import type { Diagnostic, IntentObject, RenderedView, View } from '../../../xds';
import { credentialReferences, refsOfView, resolveSdsNames, sdsNamesOf } from '../../../xds/secrets/references';
import { isSecret, type StoredSecretSpec } from '../secrets/stored';

/**
 * The commit path's referential checks for credentials (design.md §4: "a Gateway credential that
 * does not exist" is a 409). Resolved as Istio does, in the referring object's namespace. Also
 * refused: a `-cacert` SDS name whose Secret has no ca.crt (the cluster or listener would warm
 * forever), and one SDS name that two namespaces' Secrets would both serve in one view.
 */
export function credentialProblems(intents: IntentObject[], views: { view: View; snapshot: RenderedView }[]): Diagnostic[] {
  const secrets = new Map(intents.filter(isSecret).map((o) => [`${o.metadata.namespace}/${o.metadata.name}`, o.spec as unknown as StoredSecretSpec]));
  const refs = credentialReferences(intents);
  const problems: Diagnostic[] = [];
  for (const r of refs) {
    if (!secrets.has(`${r.namespace}/${r.credentialName}`)) {
      problems.push({ source: r.source, path: r.path, message: `no Secret ${r.namespace}/${r.credentialName}: a credential is looked up in the namespace of the object naming it, as in Istio; create it with PUT /api/v1/namespaces/${r.namespace}/secrets/${r.credentialName}` });
    }
  }
  if (problems.length) return problems;
  for (const { view, snapshot } of views) {
    for (const t of resolveSdsNames(sdsNamesOf(snapshot), refsOfView(refs, view))) {
      if (t.namespaces.length > 1) {
        for (const r of t.refs) problems.push({ source: r.source, path: r.path, message: `Secrets named ${t.credentialName} in namespaces ${t.namespaces.join(' and ')} would both be served to one proxy as ${t.sdsName} (SDS names carry no namespace); give them different names` });
      } else if (t.part === 'ca' && !secrets.get(`${t.namespaces[0]}/${t.credentialName}`)?.caCertificate) {
        for (const r of t.refs) problems.push({ source: r.source, path: r.path, message: `Secret ${t.namespaces[0]}/${t.credentialName} has no ca.crt, which this tls setting needs to verify the peer (SDS name ${t.sdsName}); add ca.crt to the Secret` });
      }
    }
  }
  return problems;
}
