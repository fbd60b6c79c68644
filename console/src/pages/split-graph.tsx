import type { MeshRoute } from '../mesh-model';

const ROW = 50;
const WIDTH = 360;
const LEFT = { x: 2, w: 80 };
const RIGHT = { x: 186, w: 172 };

const clip = (text: string, max: number) => (text.length > max ? `${text.slice(0, max - 1)}…` : text);

/**
 * One route drawn as Kiali draws an edge split: the route on the left, an edge to each destination with
 * its weight on it (thicker for more traffic, dashed at 0%), and on the right the subset and the
 * DestinationRule that defines it; the Envoy clusters are listed under it (full names wrap, SVG text
 * does not). A viewBox, so it scales to a phone.
 */
export function SplitGraph({ route }: { route: MeshRoute }) {
  const n = Math.max(route.destinations.length, 1);
  const height = n * ROW + 4;
  const mid = height / 2;
  return (
    <svg class="split" viewBox={`0 0 ${WIDTH} ${height}`} role="img" aria-label={`${route.protocol} route ${route.key}: ${route.destinations.map((d) => `${d.weight}% to ${d.subset || d.host}`).join(', ')}`}>
      <rect class="node route-node" x={LEFT.x} y={mid - 18} width={LEFT.w} height={36} rx={6} />
      <text class="node-title" x={LEFT.x + 8} y={mid - 3}>{clip(route.key, 11)}</text>
      <text class="node-sub" x={LEFT.x + 8} y={mid + 11}>{route.protocol}</text>
      {route.destinations.map((d, i) => {
        const y = i * ROW + 4 + (ROW - 4) / 2;
        const x1 = LEFT.x + LEFT.w;
        const x2 = RIGHT.x;
        const cx = (x1 + x2) / 2;
        // The label sits on the curve three quarters of the way along, where the edges have fanned out.
        const labelX = x1 + (x2 - x1) * 0.72;
        const labelY = mid + (y - mid) * 0.86;
        return (
          <g key={i} class={d.weight === 0 ? 'edge idle' : 'edge'} data-subset={d.subset} data-weight={d.weight}>
            <path d={`M${x1},${mid} C${cx},${mid} ${cx},${y} ${x2},${y}`} stroke-width={1.5 + d.weight / 12} />
            <rect class="edge-label-bg" x={labelX - 20} y={labelY - 10} width={40} height={18} rx={9} />
            <text class="edge-label" x={labelX} y={labelY + 4} text-anchor="middle">{`${d.weight}%`}</text>
            <rect class={d.subsetDefined ? 'node' : 'node missing'} x={RIGHT.x} y={y - 21} width={RIGHT.w} height={42} rx={6}>
              <title>{`${d.host}${d.subset ? ` subset ${d.subset}` : ''}${d.rule ? `, DestinationRule ${d.rule}` : ''}\n${d.clusters.join('\n')}`}</title>
            </rect>
            <text class="node-title" x={RIGHT.x + 8} y={y - 6}>{clip(d.subset ? `subset ${d.subset}` : d.host.split('.')[0]!, 24)}</text>
            <text class={d.subsetDefined ? 'node-sub' : 'node-sub bad'} x={RIGHT.x + 8} y={y + 11}>{d.subsetDefined ? clip(d.rule ? `DestinationRule ${d.rule}` : 'no DestinationRule', 30) : 'no DestinationRule defines it'}</text>
          </g>
        );
      })}
    </svg>
  );
}
