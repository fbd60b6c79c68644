import { clock } from '../format';
import type { Rollout } from '../types';

const W = 600;
const H = 220;
const PAD = { left: 40, right: 14, top: 14, bottom: 28 };

/** The candidate's weight over time: 0 before the first step, each step's weight from when it was committed, 0 again after an abort's rollback. */
export function weightSeries(r: Rollout, now: number): { t: number; weight: number; label?: string }[] {
  const points: { t: number; weight: number; label?: string }[] = [{ t: Date.parse(r.createdAt), weight: 0 }];
  for (const h of r.history) {
    if (!h.startedAt || typeof h.weight !== 'number') continue;
    const kind = r.stepKinds?.[h.step]?.kind;
    points.push({ t: Date.parse(h.startedAt), weight: h.weight, label: `step ${h.step + 1}${kind && kind !== 'weight' ? ` (${kind})` : ''}` });
  }
  if (r.abort) points.push({ t: Date.parse(r.abort.at), weight: 0, label: 'rollback' });
  const end = r.finishedAt ? Date.parse(r.finishedAt) : now;
  points.push({ t: Math.max(end, points.at(-1)!.t), weight: points.at(-1)!.weight });
  return points;
}

/** A step chart in plain SVG (no chart library: one polyline, a few ticks), scaled by its viewBox. */
export function WeightChart({ rollout, now }: { rollout: Rollout; now: number }) {
  const series = weightSeries(rollout, now);
  const t0 = series[0]!.t;
  // At least a second wide; the line runs to the right edge (a rollout over in under a second still fills it).
  const t1 = Math.max(series.at(-1)!.t, t0 + 1000);
  series.at(-1)!.t = t1;
  const x = (t: number) => PAD.left + ((t - t0) / (t1 - t0)) * (W - PAD.left - PAD.right);
  const y = (w: number) => PAD.top + (1 - w / 100) * (H - PAD.top - PAD.bottom);
  // A step line: hold each weight until the next point, then jump.
  const path = series.map((p, i) => (i === 0 ? `M${x(p.t)},${y(p.weight)}` : `H${x(p.t)} V${y(p.weight)}`)).join(' ');
  const planned = [...new Set(rollout.steps)];
  return (
    <svg class="chart" viewBox={`0 0 ${W} ${H}`} role="img" aria-label={`candidate weight over time: ${series.map((p) => `${p.weight}%`).join(', ')}`} data-points={series.length}>
      {[0, 25, 50, 75, 100].map((w) => (
        <g key={w} class="grid">
          <line x1={PAD.left} x2={W - PAD.right} y1={y(w)} y2={y(w)} />
          <text x={PAD.left - 6} y={y(w) + 4} text-anchor="end">{`${w}%`}</text>
        </g>
      ))}
      {planned.map((w) => (
        <line key={`p${w}`} class="planned" x1={PAD.left} x2={W - PAD.right} y1={y(w)} y2={y(w)} />
      ))}
      <path class="series" d={path} />
      {series.slice(1, -1).map((p, i) => (
        <g key={i} class="point">
          <circle cx={x(p.t)} cy={y(p.weight)} r={4} />
          {p.label && (
            // Kept inside the frame: left of the point near the right edge, under it near the top.
            <text x={x(p.t) > W - 110 ? x(p.t) - 6 : x(p.t) + 6} y={p.weight > 90 ? y(p.weight) + 16 : y(p.weight) - 6} text-anchor={x(p.t) > W - 110 ? 'end' : 'start'}>{`${p.label}: ${p.weight}%`}</text>
          )}
        </g>
      ))}
      <text class="axis" x={PAD.left} y={H - 8}>{clock(t0)}</text>
      <text class="axis" x={W - PAD.right} y={H - 8} text-anchor="end">{rollout.finishedAt ? clock(t1) : 'now'}</text>
    </svg>
  );
}
