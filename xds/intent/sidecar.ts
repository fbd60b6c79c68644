import { z } from 'zod';
import { Dns1123LabelSchema, intentSchema, isDns1123Label, isHostname, istioObject, LabelsSchema, protocolSchema } from './common';

/*
 * Istio's Sidecar (networking.istio.io), outbound scoping only. What the schema follows, from Istio's
 * API (istio/api networking/v1alpha3/sidecar.proto) and its validation (istio/istio
 * pkg/config/validation/validation.go ValidateSidecar, agent/validation.go
 * ValidateNamespaceSlashWildcardHostname):
 * - an egress host is `namespace/dnsName`, split at the first "/": the namespace is `*`, `.`, a DNS-1123
 *   label, or any of them prefixed with `~` to exclude instead of import (a bare `~` is `*`); the name
 *   is `*` or a fully qualified name (a short name is refused), a wildcard only as the whole left-most label;
 * - the egress listener without a port is the catch-all: at most one, and last; listener ports are unique;
 *   `port.targetPort` is refused ("no impact on Sidecars"); port 0 is a Unix socket and needs `bind`;
 * - a Sidecar with no egress, ingress, outboundTrafficPolicy or inboundConnectionPool is refused as empty;
 * - OutboundTrafficPolicy.mode is a proto3 enum whose zero value is REGISTRY_ONLY, so a policy without
 *   a mode means REGISTRY_ONLY; ALLOW_ANY_DYNAMIC_DNS is refused in a Sidecar (MeshConfig only);
 *   `egressProxy` is only valid with ALLOW_ANY.
 */

const INBOUND = 'inbound listeners are not configured by this control plane: it renders outbound config only, so a Sidecar scopes what a proxy can call';

// Listeners here bind the service port on 0.0.0.0 and the application calls them: nothing is captured.
const NO_CAPTURE = 'proxies here capture no traffic: each listener binds a service port on 0.0.0.0 and the application calls it';

/** Why an egress host is not Istio's `[~]namespace/dnsName` (undefined when it is). */
export function egressHostProblem(s: string): string | undefined {
  const slash = s.indexOf('/');
  if (slash === -1) return 'must be "namespace/dnsName": a namespace ("*", ".", a name, or one of them prefixed with "~" to exclude) and a DNS name ("*", "*.suffix" or a fully qualified name)';
  const namespace = s.slice(0, slash);
  const name = s.slice(slash + 1);
  const bare = namespace.startsWith('~') ? namespace.slice(1) : namespace;
  if (!namespace) return 'the namespace before "/" must not be empty: "*" for any namespace, "." for the Sidecar\'s own, or "~" to exclude from every namespace';
  if (bare !== '' && bare !== '*' && bare !== '.' && !isDns1123Label(bare)) return `namespace "${namespace}" must be "*", ".", a namespace name, or one of them prefixed with "~"`;
  if (name === '*') return undefined;
  if (!name) return 'the DNS name after "/" must not be empty: "*" selects every host of the namespace';
  if (!name.includes('.') && isHostname(name, { wildcard: false })) return `"${name}" is a short name; Istio requires a fully qualified DNS name, "*.suffix" or "*"`;
  if (!isHostname(name, { wildcard: true })) return `"${name}" must be a DNS name, optionally with a leading "*." wildcard, or "*"`;
  return undefined;
}

export const SidecarPortSchema = istioObject(
  {
    number: z.int().min(0).max(65535),
    // The listener's protocol follows the ServiceEntries' ports (translate/sidecars.ts warns when they differ).
    protocol: protocolSchema(['HTTP', 'HTTPS', 'HTTP2', 'GRPC', 'TCP', 'TLS']),
    name: Dns1123LabelSchema.optional(),
  },
  [],
  { targetPort: 'it has no effect on a Sidecar (Istio refuses it too)' },
).superRefine((port, ctx) => {
  if (port.number === 0) ctx.addIssue({ code: 'custom', path: ['number'], message: `0 is a Unix domain socket listener, which needs bind; ${NO_CAPTURE}` });
});
export type SidecarPort = z.infer<typeof SidecarPortSchema>;

export const IstioEgressListenerSchema = istioObject({
  port: SidecarPortSchema.optional(),
  // Proto3 defaults ("" and DEFAULT) are accepted, so manifests that spell them out still apply.
  bind: z.string().optional(),
  captureMode: z.enum(['DEFAULT', 'IPTABLES', 'NONE']).optional(),
  hosts: z.array(z.string().superRefine((host, ctx) => {
    const problem = egressHostProblem(host);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  })).min(1, 'at least one host is required ("namespace/dnsName"; "~/*" imports nothing)'),
}).superRefine((listener, ctx) => {
  if (listener.bind) ctx.addIssue({ code: 'custom', path: ['bind'], message: `a bind address or Unix domain socket cannot be honoured: ${NO_CAPTURE}` });
  if (listener.captureMode && listener.captureMode !== 'DEFAULT') ctx.addIssue({ code: 'custom', path: ['captureMode'], message: `${listener.captureMode} cannot be honoured, only DEFAULT: ${NO_CAPTURE}` });
});
export type IstioEgressListener = z.infer<typeof IstioEgressListenerSchema>;

export const OutboundTrafficPolicySchema = istioObject(
  {
    mode: z.enum(['REGISTRY_ONLY', 'ALLOW_ANY'], {
      error: (iss) =>
        iss.input === 'ALLOW_ANY_DYNAMIC_DNS' ? 'ALLOW_ANY_DYNAMIC_DNS is a MeshConfig mode; Istio refuses it in a Sidecar' : `expected REGISTRY_ONLY or ALLOW_ANY, got ${JSON.stringify(iss.input)}`,
    }).optional(),
  },
  [],
  { egressProxy: 'it needs ALLOW_ANY, which cannot be honoured (see mode)' },
).superRefine((policy, ctx) => {
  if (policy.mode === 'ALLOW_ANY') {
    ctx.addIssue({ code: 'custom', path: ['mode'], message: `ALLOW_ANY cannot be honoured: it forwards unknown traffic to its original destination (Istio's PassthroughCluster), and ${NO_CAPTURE}, so there is no original destination; leave the policy out (unknown hosts get no route) or use REGISTRY_ONLY` });
  }
});
export type OutboundTrafficPolicy = z.infer<typeof OutboundTrafficPolicySchema>;

/** The catch-all egress listener (no port) comes once and last; listener ports are unique (Istio's rules). */
function checkEgressListeners(egress: IstioEgressListener[], ctx: z.core.$RefinementCtx): void {
  const ports = new Map<number, number>();
  egress.forEach((listener, i) => {
    if (!listener.port) {
      if (i !== egress.length - 1) ctx.addIssue({ code: 'custom', path: ['egress', i], message: 'the egress listener without a port (the catch-all) must be the last one' });
      return;
    }
    const first = ports.get(listener.port.number);
    if (first !== undefined) ctx.addIssue({ code: 'custom', path: ['egress', i, 'port', 'number'], message: `port ${listener.port.number} already has egress[${first}]; listener ports must be unique` });
    else ports.set(listener.port.number, i);
  });
}

export const SidecarSpecSchema = istioObject(
  {
    workloadSelector: istioObject({
      labels: LabelsSchema.refine((m) => Object.keys(m).length > 0, 'at least one label is required; leave workloadSelector out to apply the Sidecar to its whole namespace'),
    }).optional(),
    egress: z.array(IstioEgressListenerSchema).optional(),
    outboundTrafficPolicy: OutboundTrafficPolicySchema.optional(),
  },
  [],
  { ingress: INBOUND, inboundConnectionPool: INBOUND },
).superRefine((spec, ctx) => {
  if (!spec.egress?.length && !spec.outboundTrafficPolicy) ctx.addIssue({ code: 'custom', path: [], message: 'empty Sidecar: set egress (the hosts its proxies may call) or outboundTrafficPolicy' });
  checkEgressListeners(spec.egress ?? [], ctx);
});
export type SidecarSpec = z.infer<typeof SidecarSpecSchema>;

export const SidecarSchema = intentSchema('Sidecar', SidecarSpecSchema);
