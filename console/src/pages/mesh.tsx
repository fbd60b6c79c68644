import { api } from '../api';
import { meshModel, type MeshService } from '../mesh-model';
import { usePoll } from '../poll';
import type { ObjectList, Rollout } from '../types';
import { ErrorLine, Loading } from '../ui';
import { SplitGraph } from './split-graph';

async function loadMesh(): Promise<MeshService[]> {
  const [vs, dr, se, rollouts] = await Promise.all([
    api<ObjectList>('/virtualservices'),
    api<ObjectList>('/destinationrules'),
    api<ObjectList>('/serviceentries'),
    api<{ items: Rollout[] }>('/rollouts?limit=100'),
  ]);
  return meshModel(vs.items, dr.items, se.items, rollouts.items);
}

/** Services: VirtualService → route → split → DestinationRule subset → cluster, and who owns a route. */
export function MeshPage() {
  const mesh = usePoll('mesh', loadMesh, 3000);
  if (!mesh.data) return mesh.error ? <ErrorLine text={mesh.error} /> : <Loading />;
  return (
    <section>
      <h2>Services</h2>
      {mesh.error && <ErrorLine text={mesh.error} />}
      {mesh.data.length === 0 && <p class="empty">No VirtualServices yet: apply some with <code>xdsflare apply -f</code> or <code>POST /api/v1/apply</code>.</p>}
      <div class="cards">
        {mesh.data.map((s) => (
          <article class="card service" key={`${s.namespace}/${s.name}`} data-service={`${s.namespace}/${s.name}`}>
            <h3>
              <span class="kind">VirtualService</span> {s.namespace}/{s.name}
            </h3>
            <p class="hosts">
              {s.hosts.join(', ')}
              {s.gateways.length > 0 && <span class="muted"> · gateways {s.gateways.join(', ')}</span>}
            </p>
            {s.routes.map((r) => (
              <div class="route" key={`${r.protocol}${r.key}`}>
                <p class="route-head">
                  <span class="muted">{r.protocol} route</span> <span class="mono">{r.key}</span>
                  {r.match && <span class="muted"> when {r.match}</span>}
                  {r.owner && (
                    <a class="badge owner" href={`#/rollouts/${r.owner.id}`}>
                      rollout {r.owner.id} {r.owner.state} · candidate {r.owner.weight}%
                    </a>
                  )}
                </p>
                <SplitGraph route={r} />
                <ul class="clusters">
                  {r.destinations.map((d, i) => (
                    <li key={i}>
                      <span class="muted">{d.weight}% →</span> <span class="mono">{d.clusters.length ? d.clusters.join(', ') : `${d.host} (no ServiceEntry port: no cluster)`}</span>
                    </li>
                  ))}
                </ul>
              </div>
            ))}
          </article>
        ))}
      </div>
    </section>
  );
}
