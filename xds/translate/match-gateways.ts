import type { Diagnostics } from './diagnostics';

/**
 * Istio's `match[].gateways`: a match naming gateways applies only at those (`mesh`: the sidecars),
 * one naming none wherever its VirtualService is bound. `at` is where routes are being built: `mesh`
 * or a Gateway's `namespace/name`; undefined for checks that hold everywhere. Names are resolved
 * to `namespace/name` before translation (withQualifiedHosts).
 */
export const matchAppliesAt = (match: { gateways?: string[] | undefined }, at: string | undefined): boolean => at === undefined || !match.gateways?.length || match.gateways.includes(at);

/** Where the sidecars' routes are built. */
export const MESH_GATEWAY = 'mesh';

/** A Gateway's `namespace/name`: how VirtualServices and matches name it once resolved. */
export const gatewayKey = (gw: { metadata: { namespace: string; name: string } }) => `${gw.metadata.namespace}/${gw.metadata.name}`;

type Matched = { match?: { gateways?: string[] | undefined }[] | undefined };

/** A match naming a gateway its VirtualService is not bound to applies nowhere: said, as Istio builds routes only where a VirtualService is bound. */
export function checkMatchGateways(spec: { gateways?: string[] | undefined; http?: Matched[] | undefined; tcp?: Matched[] | undefined; tls?: Matched[] | undefined }, source: string, diag: Diagnostics): void {
  const bound = new Set(spec.gateways?.length ? spec.gateways : [MESH_GATEWAY]);
  for (const kind of ['http', 'tcp', 'tls'] as const) {
    spec[kind]?.forEach((rule, i) =>
      rule.match?.forEach((m, j) =>
        m.gateways?.forEach((g, k) => {
          if (!bound.has(g)) diag.warn(source, `spec.${kind}[${i}].match[${j}].gateways[${k}]`, `the VirtualService is not bound to ${g === MESH_GATEWAY ? 'the mesh' : `gateway ${g}`} (its gateways: ${[...bound].join(', ')}): this gateway name matches nowhere`);
        }),
      ),
    );
  }
}
