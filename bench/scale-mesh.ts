/**
 * The mesh the scale issue measured and the benchmark and scale tests use: per service a STATIC
 * ServiceEntry with 2 endpoints (v1, v2), a DestinationRule with subsets v1/v2 and a VirtualService
 * splitting 90/10. Services are `svc-<i>.<namespace>.svc.cluster.local`, all on port 8080.
 */
export type Manifest = Record<string, unknown>[];

export const hostOf = (i: number, ns: string) => `svc-${i}.${ns}.svc.cluster.local`;

const address = (i: number, v: number) => `10.${(v << 6) | ((i >> 16) & 63)}.${(i >> 8) & 255}.${i & 255}`;

export function serviceObjects(i: number, ns: string, weights: [number, number] = [90, 10]): Manifest {
  const host = hostOf(i, ns);
  const metadata = { name: `svc-${i}`, namespace: ns };
  return [
    {
      apiVersion: 'networking.istio.io/v1',
      kind: 'ServiceEntry',
      metadata,
      spec: {
        hosts: [host],
        location: 'MESH_INTERNAL',
        resolution: 'STATIC',
        ports: [{ number: 8080, name: 'http', protocol: 'HTTP' }],
        endpoints: [
          { address: address(i, 1), labels: { version: 'v1' } },
          { address: address(i, 2), labels: { version: 'v2' } },
        ],
      },
    },
    {
      apiVersion: 'networking.istio.io/v1',
      kind: 'DestinationRule',
      metadata,
      spec: { host, subsets: [{ name: 'v1', labels: { version: 'v1' } }, { name: 'v2', labels: { version: 'v2' } }] },
    },
    {
      apiVersion: 'networking.istio.io/v1',
      kind: 'VirtualService',
      metadata,
      spec: {
        hosts: [host],
        http: [{ route: [{ destination: { host, subset: 'v1' }, weight: weights[0] }, { destination: { host, subset: 'v2' }, weight: weights[1] }] }],
      },
    },
  ];
}

/** Services [from, to) of namespace `ns`. */
export function meshManifest(from: number, to: number, ns = 'scale'): Manifest {
  const docs: Manifest = [];
  for (let i = from; i < to; i++) docs.push(...serviceObjects(i, ns));
  return docs;
}
