import { z } from 'zod';
import { Dns1123LabelSchema, isLabelValue, isQualifiedName, parseHostPort, type BootstrapNode } from '../../xds';

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
const MODE_PARAMS = { rest: [], ads: ['bridge', 'delta'], file: ['dir'], grpc: ['bridge'] } as const;

export const BootstrapQuerySchema = z
  .strictObject({
    ...nodeParams,
    mode: BootstrapModeSchema.default('rest').describe('rest: poll the edge; ads: stream from a bridge; file: read an export; grpc: a proxyless gRPC client'),
    cluster: z.string().min(1).max(256).regex(TOKEN_TEXT, 'must be printable ASCII without spaces').optional().describe("node.cluster: the service the proxy belongs to"),
    bridge: BridgeSchema.optional(),
    delta: z.enum(['true', 'false']).optional().describe('ads only: incremental (DELTA_GRPC) instead of state-of-the-world'),
    dir: DirSchema.optional().describe('file only (required there): the directory an export writes'),
  })
  .superRefine((q, ctx) => {
    for (const key of ['bridge', 'delta', 'dir'] as const) {
      if (q[key] !== undefined && !(MODE_PARAMS[q.mode] as readonly string[]).includes(key)) ctx.addIssue({ code: 'custom', path: [key], message: `does not apply to mode=${q.mode}` });
    }
    if (q.mode === 'file' && q.dir === undefined) ctx.addIssue({ code: 'custom', path: ['dir'], message: 'is required with mode=file' });
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
