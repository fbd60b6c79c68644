import { z } from 'zod';
import { DEFAULT_CERT_DIR, Dns1123LabelSchema, isLabelValue, isQualifiedName, parseHostPort, type BootstrapNode, type HostPort } from '../../xds';

/** Where proxyless clients and ADS Envoys find the bridge when the caller names none (`npm start`'s). */
export const DEFAULT_BRIDGE = '127.0.0.1:18000';
/** The bridge's ADS port, when `bridge=` names a host only. */
const BRIDGE_PORT = 18000;

// Printable, no spaces: these end up in YAML comments, file paths and headers.
const TOKEN_TEXT = /^[\x21-\x7e]+$/;

const NodeIdSchema = z.string().min(1).max(256).regex(TOKEN_TEXT, 'must be printable ASCII without spaces').describe("the proxy's node.id");

/** `key=value`, a Kubernetes label; repeat the parameter for more labels. */
const LabelParamSchema = z.string().superRefine((s, ctx) => {
  const eq = s.indexOf('=');
  const message =
    eq < 0
      ? 'expected key=value'
      : !isQualifiedName(s.slice(0, eq))
        ? 'the key must be a Kubernetes label key ([prefix/]name)'
        : !isLabelValue(s.slice(eq + 1))
          ? 'the value must be a Kubernetes label value (at most 63 letters, digits, "-", "_" or ".")'
          : undefined;
  if (message) ctx.addIssue({ code: 'custom', message });
});

/** `region[/zone[/sub-zone]]`, as config_dump takes it. */
const LocalityParamSchema = z
  .string()
  .regex(/^[^/\s]+(\/[^/\s]*){0,2}$/, 'expected region[/zone[/sub-zone]] without spaces')
  .max(384)
  .describe('region/zone/sub-zone (any prefix): node.locality');

/** An absolute POSIX directory, normalised without a trailing slash. */
const DirSchema = z
  .string()
  .max(1024)
  .regex(/^\/[^\0-\x1f\x7f]*$/, 'must be an absolute path (starting with "/") without control characters')
  .refine((s) => !s.split('/').some((seg) => seg === '.' || seg === '..'), 'must not contain "." or ".." segments')
  .transform((s) => s.replace(/\/+/g, '/').replace(/\/$/, ''))
  .refine((s) => s !== '', 'must not be the root directory')
  .describe('absolute directory the files are (or will be) written to');

const BridgeSchema = z
  .string()
  .refine((s) => parseHostPort(s, BRIDGE_PORT) !== undefined, 'expected host[:port] or [ipv6]:port (an IP address or DNS name, port 1-65535)')
  .transform((s) => parseHostPort(s, BRIDGE_PORT)!)
  .describe(`the bridge's ADS address, host[:port] (default ${DEFAULT_BRIDGE}; port default ${BRIDGE_PORT})`);

const nodeParams = {
  node: NodeIdSchema,
  label: z.array(LabelParamSchema).max(64).optional().describe('a node.metadata.labels entry, key=value; repeat for more'),
  namespace: Dns1123LabelSchema.optional().describe("node.metadata.namespace: the proxy's namespace (exportTo)"),
  locality: LocalityParamSchema.optional(),
};

export const BootstrapModeSchema = z.enum(['rest', 'ads', 'file', 'grpc']);

/** Which parameters each mode takes beyond the node's: anything else for that mode is a 400 naming it. */
const MODE_PARAMS = { rest: [], ads: ['bridge', 'delta', 'auth', 'certDir'], file: ['dir'], grpc: ['bridge', 'auth', 'certDir'] } as const;

/** A bridge on loopback is npm start's, which allows plaintext; any other is reached with mTLS unless told. */
const isLoopback = (b: HostPort) => b.host === 'localhost' || b.host === '::1' || /^127\./.test(b.host);

/**
 * How the proxy authenticates to the bridge: the query's, else for Envoy by where the bridge is. gRPC's
 * default stays none: the gRPC clients tested here (grpc-js-xds 1.14, C-core 1.51) cannot read TLS creds.
 */
export function bridgeAuthOf(q: { mode: string; auth?: 'mtls' | 'token' | 'none'; bridge?: HostPort }): 'mtls' | 'token' | 'none' {
  if (q.auth) return q.auth;
  return q.mode === 'grpc' || isLoopback(q.bridge ?? parseHostPort(DEFAULT_BRIDGE)!) ? 'none' : 'mtls';
}

export const BootstrapQuerySchema = z
  .strictObject({
    ...nodeParams,
    mode: BootstrapModeSchema.default('rest').describe('rest: poll the edge; ads: stream from a bridge; file: read an export; grpc: a proxyless gRPC client'),
    cluster: z.string().min(1).max(256).regex(TOKEN_TEXT, 'must be printable ASCII without spaces').optional().describe("node.cluster: the service the proxy belongs to"),
    bridge: BridgeSchema.optional(),
    delta: z.enum(['true', 'false']).optional().describe('ads only: incremental (DELTA_GRPC) instead of state-of-the-world'),
    dir: DirSchema.optional().describe('file only (required there): the directory an export writes'),
    auth: z
      .enum(['mtls', 'token', 'none'])
      .optional()
      .describe('ads and grpc: how the proxy authenticates to the bridge: mtls (a workload certificate with its SPIFFE ID), token (TLS and a bearer token bound to its identity; ads only), none (plaintext, a bridge with XDSFLARE_ADS_ALLOW_PLAINTEXT). Default for ads: none for a loopback bridge (npm start), else mtls; for grpc: none'),
    certDir: DirSchema.optional().describe(`ads and grpc with auth mtls or token: the directory holding tls.crt, tls.key and ca.crt (default ${DEFAULT_CERT_DIR})`),
  })
  .superRefine((q, ctx) => {
    for (const key of ['bridge', 'delta', 'dir'] as const) {
      if (q[key] !== undefined && !(MODE_PARAMS[q.mode] as readonly string[]).includes(key)) ctx.addIssue({ code: 'custom', path: [key], message: `does not apply to mode=${q.mode}` });
    }
    if (q.mode === 'file' && q.dir === undefined) ctx.addIssue({ code: 'custom', path: ['dir'], message: 'is required with mode=file' });
    for (const key of ['auth', 'certDir'] as const) {
      if (q[key] !== undefined && !(MODE_PARAMS[q.mode] as readonly string[]).includes(key)) ctx.addIssue({ code: 'custom', path: [key], message: `does not apply to mode=${q.mode}` });
    }
    if (q.mode === 'grpc' && q.auth === 'token') ctx.addIssue({ code: 'custom', path: ['auth'], message: "gRPC's xDS bootstrap has no bearer-token credentials (gRFC A97's call creds read JWT files): use mtls, or none with a bridge that allows plaintext" });
    if (q.certDir !== undefined && q.mode !== 'rest' && q.mode !== 'file' && bridgeAuthOf(q) === 'none') ctx.addIssue({ code: 'custom', path: ['certDir'], message: 'does not apply to auth=none' });
  });
export type BootstrapQuery = z.output<typeof BootstrapQuerySchema>;

export const ExportQuerySchema = z.strictObject({ ...nodeParams, dir: DirSchema });
export type ExportQuery = z.output<typeof ExportQuerySchema>;

/** The node the bootstrap or export is for. */
export function nodeOf(q: { node: string; cluster?: string; label?: string[]; namespace?: string; locality?: string }): BootstrapNode {
  const labels: Record<string, string> = {};
  for (const l of q.label ?? []) labels[l.slice(0, l.indexOf('='))] = l.slice(l.indexOf('=') + 1);
  const [region, zone, subZone] = (q.locality ?? '').split('/');
  const locality = { ...(region ? { region } : {}), ...(zone ? { zone } : {}), ...(subZone ? { subZone } : {}) };
  return {
    id: q.node,
    labels,
    ...(q.cluster ? { cluster: q.cluster } : {}),
    ...(q.namespace ? { namespace: q.namespace } : {}),
    ...(q.locality ? { locality } : {}),
  };
}
