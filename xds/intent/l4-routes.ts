import { z } from 'zod';
import { GatewayRefsSchema, isHostname, istioObject, PortNumberSchema } from './common';
import { DestinationSchema } from './http-actions';

/** Istio's RouteDestination: a weighted destination of a tcp or tls route (no header operations). */
export const RouteDestinationSchema = istioObject({
  destination: DestinationSchema,
  weight: z.int().min(0, 'must not be negative').optional(),
});
export type RouteDestination = z.infer<typeof RouteDestinationSchema>;

/** Istio's L4MatchAttributes: `port` and `gateways` so far. */
export const L4MatchAttributesSchema = istioObject(
  { port: PortNumberSchema.optional(), gateways: GatewayRefsSchema.optional() },
  ['destinationSubnets', 'sourceLabels', 'sourceNamespace', 'sourceSubnet'],
);
export type L4MatchAttributes = z.infer<typeof L4MatchAttributesSchema>;

/** Istio's TLSMatchAttributes: SNI hosts (required) and `port`. */
export const TLSMatchAttributesSchema = istioObject(
  {
    sniHosts: z
      .array(z.string().refine((s) => s === '*' || isHostname(s, { wildcard: true }), 'must be a DNS name, "*.suffix" or "*"'))
      .min(1, 'at least one SNI host is required'),
    port: PortNumberSchema.optional(),
    gateways: GatewayRefsSchema.optional(),
  },
  ['destinationSubnets', 'sourceLabels', 'sourceNamespace'],
);
export type TLSMatchAttributes = z.infer<typeof TLSMatchAttributesSchema>;

/** Weights are relative, as for http routes; what cannot work is no traffic at all. */
function checkWeights(dests: RouteDestination[], ctx: z.core.$RefinementCtx): void {
  if (dests.length === 1 && dests[0]!.weight === 0) {
    ctx.addIssue({ code: 'custom', path: ['route', 0, 'weight'], message: 'the only destination has weight 0 and would get no traffic; remove the weight or make it positive' });
  } else if (dests.length > 1 && dests.every((d) => (d.weight ?? 0) === 0)) {
    ctx.addIssue({ code: 'custom', path: ['route'], message: 'all weights are 0 (a missing weight counts as 0); at least one destination needs a positive weight' });
  }
}

const RoutesSchema = z.array(RouteDestinationSchema).min(1, 'at least one destination is required');

export const TCPRouteSchema = istioObject({
  match: z.array(L4MatchAttributesSchema).optional(),
  route: RoutesSchema,
}).superRefine((rule, ctx) => checkWeights(rule.route, ctx));
export type TCPRoute = z.infer<typeof TCPRouteSchema>;

export const TLSRouteSchema = istioObject({
  match: z.array(TLSMatchAttributesSchema).min(1, 'at least one match with sniHosts is required'),
  route: RoutesSchema,
}).superRefine((rule, ctx) => checkWeights(rule.route, ctx));
export type TLSRoute = z.infer<typeof TLSRouteSchema>;

/** Istio host matching, either side a `*.suffix` wildcard or `*`. */
function hostsOverlap(a: string, b: string): boolean {
  if (a === '*' || b === '*' || a === b) return true;
  const covers = (w: string, h: string) => w.startsWith('*.') && (h.startsWith('*.') ? h.slice(1).endsWith(w.slice(1)) : h.endsWith(w.slice(1)));
  return covers(a, b) || covers(b, a);
}

/** A VirtualService needs some routes (any of http, tcp, tls); a tls match's SNI hosts must be among its hosts, as Istio checks. */
export function checkRouteKinds(spec: { hosts: string[]; http?: unknown[] | undefined; tcp?: unknown[] | undefined; tls?: TLSRoute[] | undefined }, ctx: z.core.$RefinementCtx): void {
  if (!spec.http && !spec.tcp && !spec.tls) ctx.addIssue({ code: 'custom', path: ['http'], message: 'required: at least one of http, tcp or tls routes' });
  spec.tls?.forEach((rule, i) =>
    rule.match.forEach((m, j) =>
      m.sniHosts.forEach((sni, k) => {
        if (!spec.hosts.some((h) => hostsOverlap(h, sni))) {
          ctx.addIssue({ code: 'custom', path: ['tls', i, 'match', j, 'sniHosts', k], message: `${sni} matches none of the VirtualService's hosts (${spec.hosts.join(', ')})` });
        }
      }),
    ),
  );
}
