import { describe, expect, it } from 'vitest';
import { parseManifest } from '../intent/manifest';
import { validateIntent } from '../intent/validate';
import { translateIntents } from './to-ir';

function intentsOfYaml(yaml: string) {
  const parsed = parseManifest(yaml, 'application/yaml');
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.errors));
  return parsed.documents.map((doc) => {
    const v = validateIntent(doc);
    if (!v.ok) throw new Error(JSON.stringify(v.errors));
    return v.object;
  });
}

const manifest = (rule: string) => `
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: r, namespace: default}
spec:
  hosts: [r.default.svc.cluster.local]
  resolution: STATIC
  ports: [{number: 80, name: http, protocol: HTTP}]
  endpoints: [{address: 10.0.0.1, labels: {version: v1}}]
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: r, namespace: default}
spec:
  host: r.default.svc.cluster.local
  subsets: [{name: v1, labels: {version: v1}}]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: r, namespace: default, annotations: {xdsflare.dev/preview: "header,host"}}
spec:
  hosts: [r.default.svc.cluster.local]
  http:
${rule}
`;

describe('preview routes', () => {
  it('leaves a single-destination rule as written and warns that there is nothing to preview', () => {
    const { ir, warnings } = translateIntents(intentsOfYaml(manifest('  - route: [{destination: {host: r.default.svc.cluster.local, subset: v1}}]')));
    const port = ir.meshPorts[0]!;
    expect(port.kind === 'http' && port.virtualHosts.map((v) => [v.name, v.routes.length])).toEqual([['r.default.svc.cluster.local:80', 1]]);
    expect(ir.grpcTargets.map((t) => t.listener)).toEqual(['r.default.svc.cluster.local', 'r.default.svc.cluster.local:80']);
    expect(warnings).toContainEqual({
      source: 'VirtualService/default/r',
      path: 'metadata.annotations["xdsflare.dev/preview"]',
      message: 'no http rule splits traffic across subsets (several destinations with a subset): there is nothing to preview',
    });
  });
});
