import { CORS_FILTER, CORS_POLICY_TYPE, FAULT_FILTER, FAULT_TYPE } from '../envoy/extensions';
import type { CorsIR, FaultIR, HeaderOpsIR, HeadersIR, RedirectIR, RouteIR } from '../ir/types';
import { stringMatcher } from './build-route-match';

type Json = Record<string, unknown>;

/** Who reads the route configuration: gRPC's client ignores or refuses some of what Envoy takes. */
export type RouteClient = 'envoy' | 'grpc';

/** 0–100 as Envoy's FractionalPercent (per million, as Istio writes it). */
const fraction = (percent: number): Json => {
  const numerator = Math.round(percent * 10_000);
  return { ...(numerator ? { numerator } : {}), denominator: 'MILLION' };
};

function headerOps(prefix: 'request' | 'response', ops: HeaderOpsIR | undefined): Json {
  if (!ops) return {};
  const add = [
    ...(ops.set ?? []).map((h) => ({ header: { key: h.name, value: h.value }, append_action: 'OVERWRITE_IF_EXISTS_OR_ADD' })),
    // APPEND_IF_EXISTS_OR_ADD is Envoy's default action.
    ...(ops.add ?? []).map((h) => ({ header: { key: h.name, value: h.value } })),
  ];
  return { ...(add.length ? { [`${prefix}_headers_to_add`]: add } : {}), ...(ops.remove?.length ? { [`${prefix}_headers_to_remove`]: ops.remove } : {}) };
}

/** Header operations, for a Route or a weighted cluster (the field names are the same). */
export const buildHeaderOps = (headers: HeadersIR | undefined): Json => ({ ...headerOps('request', headers?.request), ...headerOps('response', headers?.response) });

function buildFault(fault: FaultIR): Json {
  const { delay, abort } = fault;
  return {
    '@type': FAULT_TYPE,
    ...(delay ? { delay: { fixed_delay: delay.fixedDelay, percentage: fraction(delay.percent) } } : {}),
    ...(abort
      ? { abort: { ...('grpcStatus' in abort ? { grpc_status: abort.grpcStatus } : { http_status: abort.httpStatus }), percentage: fraction(abort.percent) } }
      : {}),
  };
}

function buildCors(cors: CorsIR): Json {
  const list = (l: string[] | undefined) => (l?.length ? l.join(',') : undefined);
  const fields: Json = {
    '@type': CORS_POLICY_TYPE,
    // An empty prefix matches every origin; Envoy's matchers want a non-empty prefix.
    allow_origin_string_match: cors.allowOrigins.map((m) => (m.kind === 'prefix' && m.value === '' ? { safe_regex: { regex: '.*' } } : stringMatcher(m))),
    allow_methods: list(cors.allowMethods),
    allow_headers: list(cors.allowHeaders),
    expose_headers: list(cors.exposeHeaders),
    // Envoy wants whole seconds as a string ("86400").
    max_age: cors.maxAge !== undefined ? String(Math.floor(Number.parseFloat(cors.maxAge))) : undefined,
    allow_credentials: cors.allowCredentials,
    forward_not_matching_preflights: cors.forwardUnmatchedPreflights,
  };
  return Object.fromEntries(Object.entries(fields).filter(([k, v]) => v !== undefined && !(k === 'allow_origin_string_match' && (v as unknown[]).length === 0)));
}

/** Per-route filter configs: the route's fault, and (Envoy only) its CORS policy. */
export function buildFilterConfigs(route: RouteIR, client: RouteClient): Json {
  const configs: Json = {};
  if (route.fault) configs[FAULT_FILTER] = buildFault(route.fault);
  if (route.cors && client === 'envoy') configs[CORS_FILTER] = buildCors(route.cors);
  return Object.keys(configs).length ? { typed_per_filter_config: configs } : {};
}

const REDIRECT_CODES: Record<RedirectIR['code'], string | undefined> = { 301: undefined, 302: 'FOUND', 303: 'SEE_OTHER', 307: 'TEMPORARY_REDIRECT', 308: 'PERMANENT_REDIRECT' };

export function buildRedirect(r: RedirectIR): Json {
  const code = REDIRECT_CODES[r.code];
  return {
    ...(r.scheme !== undefined ? { scheme_redirect: r.scheme } : {}),
    ...(r.authority !== undefined ? { host_redirect: r.authority } : {}),
    ...(r.port !== undefined ? { port_redirect: r.port } : {}),
    ...(r.uri !== undefined ? { path_redirect: r.uri } : {}),
    ...(code ? { response_code: code } : {}),
  };
}

export function buildDirectResponse(d: NonNullable<RouteIR['directResponse']>): Json {
  const body = d.body && ('string' in d.body ? { inline_string: d.body.string } : { inline_bytes: d.body.bytes });
  return { status: d.status, ...(body ? { body } : {}) };
}

/** RouteAction fields beyond cluster, timeout and retries: rewrites, mirrors, and gRPC's stream deadline. */
export function buildActionParts(route: RouteIR, client: RouteClient): Json {
  const { rewrite, mirrors } = route;
  return {
    ...(rewrite?.uri !== undefined ? { prefix_rewrite: rewrite.uri } : {}),
    ...(rewrite?.regex ? { regex_rewrite: { pattern: { regex: rewrite.regex.match }, substitution: rewrite.regex.rewrite } } : {}),
    ...(rewrite?.authority !== undefined ? { host_rewrite_literal: rewrite.authority } : {}),
    ...(mirrors?.length
      ? { request_mirror_policies: mirrors.map((m) => ({ cluster: m.cluster, ...(m.percent !== undefined ? { runtime_fraction: { default_value: fraction(m.percent) } } : {}) })) }
      : {}),
    // gRPC's client reads a route's deadline only from max_stream_duration (gRFC A31), as Istio sets it.
    ...(client === 'grpc' && route.timeout !== '0s' ? { max_stream_duration: { max_stream_duration: route.timeout } } : {}),
  };
}
