import { describe, expect, it } from 'vitest';
import { apply, callJson, poll, REVIEWS } from './helpers';

// Istio's bookinfo style (samples/bookinfo/networking/*.yaml, istio/istio): short hosts in the rules,
// resolved against each object's namespace; the ServiceEntry stands in for the Kubernetes Service.
const SHORT = (ns: string, weights: [number, number]) => {
  const [serviceEntry, ...rules] = REVIEWS(weights, ns).split('---');
  return [serviceEntry, ...rules.map((doc) => doc.replaceAll(`reviews.${ns}.svc.cluster.local`, 'reviews'))].join('---');
};

const weightsOf = async (ns: string) => {
  const rds = await poll('routes', { names: ['9080'] });
  const vh = rds.body!.resources[0]!.virtual_hosts.find((v: any) => v.name === `reviews.${ns}.svc.cluster.local:9080`);
  return vh?.routes[0].route.weighted_clusters.clusters.map((c: any) => `${c.name}=${c.weight}`);
};

describe("Istio's short host names over the API", () => {
  it('routes a short-named VirtualService and DestinationRule to the Service of their namespace, and changes them incrementally', async () => {
    expect((await apply(SHORT('shortns', [90, 10]))).status).toBe(201);
    expect(await weightsOf('shortns')).toEqual(['outbound|9080|v1|reviews.shortns.svc.cluster.local=90', 'outbound|9080|v2|reviews.shortns.svc.cluster.local=10']);

    // A one-object write on top: found through the index by what the short name means, spliced in.
    const res = await callJson('PATCH', '/api/v1/namespaces/shortns/virtualservices/reviews', {
      body: { spec: { hosts: ['reviews'], http: [{ route: [{ destination: { host: 'reviews', subset: 'v1' }, weight: 40 }, { destination: { host: 'reviews', subset: 'v2' }, weight: 60 }] }] } },
      contentType: 'application/merge-patch+json',
    });
    expect(res.status).toBe(200);
    expect(await weightsOf('shortns')).toEqual(['outbound|9080|v1|reviews.shortns.svc.cluster.local=40', 'outbound|9080|v2|reviews.shortns.svc.cluster.local=60']);
    // Stored as written, as Kubernetes keeps it.
    expect((await callJson('GET', '/api/v1/namespaces/shortns/virtualservices/reviews')).body.spec.hosts).toEqual(['reviews']);
  });

  it('refuses a short name that means a host nobody declares, naming the field and the host it resolved to', async () => {
    // `reviews` in namespace elsewhere is reviews.elsewhere.svc.cluster.local: no ServiceEntry declares it.
    const manifest = SHORT('shortns2', [50, 50]).split('---').slice(0, 2).join('---') + `---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: reviews, namespace: elsewhere}
spec:
  hosts: [reviews.shortns2.svc.cluster.local]
  http:
  - route:
    - {destination: {host: reviews, subset: v1}}
`;
    const res = await apply(manifest);
    expect(res.status).toBe(409);
    expect(res.body.errors[0]).toMatchObject({ object: 'VirtualService/elsewhere/reviews', path: 'spec.http[0].route[0].destination.host' });
    expect(res.body.errors[0].message).toContain('reviews.elsewhere.svc.cluster.local');
    expect((await callJson('GET', '/api/v1/namespaces/shortns2/destinationrules/reviews')).status).toBe(404);
  });
});
