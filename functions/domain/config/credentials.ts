import type { Diagnostic, IntentObject, RenderedView, View } from '../../../xds';
import { credentialReferences, lookupNamespace, refsOfView, resolveSdsNames, sdsNamesOf, type CredentialRef } from '../../../xds/secrets/references';
import { isSecret, type StoredSecretSpec } from '../secrets/stored';

/**
 * The commit path's referential checks for credentials (design.md §4: "a Gateway credential that
 * does not exist" is a 409), resolved as Istio does: a DestinationRule's in its own namespace, a
 * Gateway's in its proxy's (lookupNamespace), which is known only when the proxy polls, so here any
 * namespace holding a Secret of that name will do. Also refused: a `-cacert` SDS name none of whose
 * Secrets has a ca.crt (the cluster or listener would warm forever), and one SDS name that Secrets
 * of two namespaces would both serve in one view.
 */
export function credentialProblems(intents: IntentObject[], views: { view: View; snapshot: RenderedView }[]): Diagnostic[] {
  const secrets = new Map(intents.filter(isSecret).map((o) => [`${o.metadata.namespace}/${o.metadata.name}`, o.spec as unknown as StoredSecretSpec]));
  const holding = new Map<string, string[]>();
  for (const o of intents.filter(isSecret)) holding.set(o.metadata.name, [...(holding.get(o.metadata.name) ?? []), o.metadata.namespace].sort());
  const refs = credentialReferences(intents);
  const problems: Diagnostic[] = [];
  for (const r of refs) {
    if (r.gateway && !holding.has(r.credentialName)) {
      problems.push({ source: r.source, path: r.path, message: `no Secret named ${r.credentialName} in any namespace: a Gateway's credentialName is looked up in the namespace of the gateway proxy that serves it (its node.metadata.NAMESPACE; the Gateway's own, ${r.namespace}, for a proxy that sends none), as in Istio; create it there with PUT /api/v1/namespaces/<namespace>/secrets/${r.credentialName}` });
    } else if (!r.gateway && !secrets.has(`${r.namespace}/${r.credentialName}`)) {
      problems.push({ source: r.source, path: r.path, message: `no Secret ${r.namespace}/${r.credentialName}: a DestinationRule's credential is looked up in its own namespace; create it with PUT /api/v1/namespaces/${r.namespace}/secrets/${r.credentialName}` });
    }
  }
  if (problems.length) return problems;
  for (const { view, snapshot } of views) {
    // A view without the proxy's namespace stands for every gateway proxy: each namespace holding the name.
    const namespacesOf = (r: CredentialRef) => (r.gateway && !view.namespace ? holding.get(r.credentialName) ?? [] : [lookupNamespace(r, view)]);
    for (const t of resolveSdsNames(sdsNamesOf(snapshot), refsOfView(refs, view), namespacesOf)) {
      // Gateways' references alone are never ambiguous: the proxy's namespace picks one Secret.
      if (t.namespaces.length > 1 && t.refs.some((r) => !r.gateway)) {
        for (const r of t.refs) problems.push({ source: r.source, path: r.path, message: `Secrets named ${t.credentialName} in namespaces ${t.namespaces.join(' and ')} would both be served to one proxy as ${t.sdsName} (SDS names carry no namespace); give them different names` });
      } else if (t.part === 'ca' && !t.namespaces.some((ns) => secrets.get(`${ns}/${t.credentialName}`)?.caCertificate)) {
        const names = t.namespaces.map((ns) => `${ns}/${t.credentialName}`).join(', ');
        for (const r of t.refs) problems.push({ source: r.source, path: r.path, message: `${t.namespaces.length > 1 ? 'Secrets' : 'Secret'} ${names} ${t.namespaces.length > 1 ? 'have' : 'has'} no ca.crt, which this tls setting needs to verify the peer (SDS name ${t.sdsName}); add ca.crt to the Secret` });
      }
    }
  }
  return problems;
}
