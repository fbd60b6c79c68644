import { Hono, type Context } from 'hono';
import { stringify } from 'yaml';
import { buildEnvoyBootstrap, buildGrpcBootstrap, DEFAULT_CERT_DIR, parseHostPort, type BootstrapNode, type BridgeAuth } from '../../xds';
import { requireScope, type AuthVariables } from '../http/require-scope';
import { hasScope } from '../domain/auth/tokens';
import { BootstrapQuerySchema, bridgeAuthOf, DEFAULT_BRIDGE, ExportQuerySchema, nodeOf, type BootstrapQuery } from './params';
import { parseQuery } from '../http/query';
import { exportView } from './export-view';
import type { Env } from '../env';
import { settings } from '../settings';
import { badRequest } from '../http/problem';
import { setWarningHeaders } from '../http/warnings';
import { currentConfig } from '../domain/config/config-cache';

type App = { Bindings: Env; Variables: AuthVariables };
const app = new Hono<App>();

/** What a REST bootstrap carries in node.metadata.xds_token when anonymous xDS is off: never a real token. */
export const XDS_TOKEN_PLACEHOLDER = 'REPLACE_WITH_A_TOKEN_WITH_SCOPE_XDS_READ';
/** Envoy's default (1 s) is short for an edge across the internet (envoy#6197). */
const REST_REQUEST_TIMEOUT = '5s';

const bridgeOf = (q: BootstrapQuery) => q.bridge ?? parseHostPort(DEFAULT_BRIDGE)!;

/** What an ADS bootstrap sends as its bearer token (auth=token): never a real token. */
export const ADS_TOKEN_PLACEHOLDER = 'REPLACE_WITH_A_TOKEN_BOUND_TO_THIS_PROXYS_IDENTITY';

/** How the bootstrap's proxy authenticates to the bridge (issue 13), and what the caller must still do. */
function authOf(q: BootstrapQuery, warnings: string[]): BridgeAuth {
  const mode = bridgeAuthOf(q);
  const certDir = q.certDir ?? DEFAULT_CERT_DIR;
  if (mode === 'none') {
    warnings.push('plaintext to the bridge (auth=none): only a bridge with XDSFLARE_ADS_ALLOW_PLAINTEXT=true serves it, and it proves no identity');
    return { mode };
  }
  if (mode === 'token') {
    warnings.push(`the authorization metadata is a placeholder (${ADS_TOKEN_PLACEHOLDER}): put a token created with this proxy's identity there (POST /api/v1/tokens with identity), and the mesh CA at ${certDir}/ca.crt`);
    return { mode, certDir, token: ADS_TOKEN_PLACEHOLDER };
  }
  if (q.mode === 'grpc') warnings.push("channel_creds type tls (gRFC A65) is not read by @grpc/grpc-js-xds 1.14 or gRPC C-core 1.51, which refuse this bootstrap: they can reach only a bridge allowing plaintext (auth=none)");
  return { mode, certDir };
}

/** REST: the xDS cluster is named after the Host this request reached the edge with. */
function restOptions(c: Context<App>, node: BootstrapNode, warnings: string[]) {
  const url = new URL(c.req.url);
  const authority = c.req.header('host') ?? url.host;
  const tls = url.protocol === 'https:';
  if (!parseHostPort(authority, tls ? 443 : 80)) throw badRequest(`the Host header "${authority}" is not a host[:port]`, [{ path: 'host', message: 'expected host[:port]' }]);
  const { allowAnonymousXds: anonymous, refreshDelay } = settings(c.env);
  if (!anonymous) warnings.push(`node.metadata.xds_token is a placeholder (${XDS_TOKEN_PLACEHOLDER}): put a token with scope xds:read there (POST /api/v1/tokens) before starting Envoy`);
  return {
    mode: 'rest' as const,
    node,
    authority,
    tls,
    refreshDelay,
    requestTimeout: REST_REQUEST_TIMEOUT,
    ...(anonymous ? {} : { xdsToken: XDS_TOKEN_PLACEHOLDER }),
  };
}

/**
 * GET /bootstrap: a ready-to-run bootstrap for one node. Envoy's as YAML (JSON with
 * `Accept: application/json`); gRPC's is JSON only, the one format its clients read.
 */
app.get('/bootstrap', requireScope('config:read'), (c) => {
  const q = parseQuery(c.req.url, BootstrapQuerySchema, ['label']);
  const node = nodeOf(q);
  const warnings: string[] = [];
  if (q.mode === 'grpc') {
    const auth = authOf(q, warnings) as Exclude<BridgeAuth, { mode: 'token' }>;
    setWarningHeaders(c, warnings.map((message) => ({ path: '', message })));
    return c.json(buildGrpcBootstrap({ node, bridge: bridgeOf(q), auth }), 200, { 'cache-control': 'no-store' });
  }
  const bootstrap =
    q.mode === 'rest'
      ? buildEnvoyBootstrap(restOptions(c, node, warnings))
      : q.mode === 'ads'
        ? buildEnvoyBootstrap({ mode: 'ads', node, bridge: bridgeOf(q), delta: q.delta === 'true', auth: authOf(q, warnings) })
        : buildEnvoyBootstrap({ mode: 'file', node, dir: q.dir! });
  setWarningHeaders(c, warnings.map((message) => ({ path: '', message })));
  c.header('cache-control', 'no-store');
  if (wantsJson(c)) return c.json(bootstrap);
  const header = [`# Envoy bootstrap for node ${q.node} (mode ${q.mode}), from xdsflare`, ...warnings.map((w) => `# WARNING: ${w}`)].join('\n');
  // Every string value quoted: Envoy's YAML loader reads plain y/n/yes/no/on/off as booleans and 0x…/0X… as numbers,
  // so a node id, cluster or label value like `on` would otherwise stop being a string.
  const yaml = stringify(bootstrap, { lineWidth: 0, aliasDuplicateObjects: false, defaultStringType: 'QUOTE_DOUBLE', defaultKeyType: 'PLAIN' });
  return c.body(`${header}\n${yaml}`, 200, { 'content-type': 'application/yaml; charset=utf-8' });
});

/**
 * GET /export: a node's view as the files Envoy's filesystem subscription reads, in the order to
 * write them (each atomically: temp file + rename; `xdsflare export` does that).
 */
app.get('/export', requireScope('config:read'), async (c) => {
  const q = parseQuery(c.req.url, ExportQuerySchema, ['label']);
  const config = await currentConfig(c.env);
  const result = await exportView(c.env, config, nodeOf(q), q.dir, hasScope(c.get('principal'), 'secrets:read'));
  setWarningHeaders(c, result.warnings.map((message) => ({ path: '', message })));
  return c.json(result, 200, { 'cache-control': 'no-store', 'x-xdsflare-revision': String(result.revision) });
});

function wantsJson(c: Context): boolean {
  const accept = c.req.header('accept') ?? '';
  return /\bapplication\/([a-z.+-]*\+)?json\b/i.test(accept) && !/\b(application|text)\/(x-)?yaml\b/i.test(accept);
}

export default app;
