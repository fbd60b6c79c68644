/** What an echo service's manifest needs: where its subsets run, how they are weighted, and any extras. */
export interface EchoMeshOptions {
  host: string;
  namespace: string;
  /** Each subset's echo backend port on 127.0.0.1 (the endpoint carries label version: <subset>). */
  endpoints: Record<string, number>;
  /** Route weights by subset, in order. */
  weights: Record<string, number>;
  /** Subsets the DestinationRule defines (default: every endpoint's). */
  subsets?: string[];
  /** YAML lines for the DestinationRule's spec (e.g. a trafficPolicy), indented two spaces. */
  ruleExtra?: string;
  /** Annotations of the VirtualService. */
  annotations?: Record<string, string>;
}

/**
 * ServiceEntry + DestinationRule + VirtualService for an echo service on port 7070 (protocol GRPC),
 * the shape the bridge's end-to-end tests route proxyless gRPC clients through.
 */
export function echoMesh(o: EchoMeshOptions): string {
  const subsets = o.subsets ?? Object.keys(o.endpoints);
  const annotations = o.annotations ? `\n  annotations: ${JSON.stringify(o.annotations)}` : '';
  return `
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: echo, namespace: ${o.namespace}}
spec:
  hosts: [${o.host}]
  resolution: STATIC
  ports: [{number: 7070, name: grpc, protocol: GRPC}]
  endpoints:
${Object.entries(o.endpoints).map(([v, port]) => `  - {address: 127.0.0.1, ports: {grpc: ${port}}, labels: {version: ${v}}}`).join('\n')}
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: echo, namespace: ${o.namespace}}
spec:
  host: ${o.host}
${o.ruleExtra ?? ''}
  subsets:
${subsets.map((s) => `  - {name: ${s}, labels: {version: ${s}}}`).join('\n')}
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: echo
  namespace: ${o.namespace}${annotations}
spec:
  hosts: [${o.host}]
  http:
  - route:
${Object.entries(o.weights).map(([s, w]) => `    - {destination: {host: ${o.host}, subset: ${s}}, weight: ${w}}`).join('\n')}
`;
}
