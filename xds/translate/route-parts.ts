import { toProtoDuration } from '../intent/duration';
import { GRPC_STATUS_CODES, type CorsPolicy, type Headers, type HeaderOperations, type HTTPRoute } from '../intent/virtual-service';
import type { CorsIR, FaultIR, HeaderOpsIR, HeadersIR, MirrorIR, RedirectIR, RoutePartsIR } from '../ir/types';
import type { RouteContext } from './route-context';
import { resolveDestination } from './resolve-destination';
import { toStringMatch } from './route-matches';

function headerOps(ops: HeaderOperations | undefined): HeaderOpsIR | undefined {
  if (!ops) return undefined;
  const pairs = (r: Record<string, string> | undefined) => Object.entries(r ?? {}).map(([name, value]) => ({ name, value }));
  const out: HeaderOpsIR = {};
  if (ops.set && Object.keys(ops.set).length) out.set = pairs(ops.set);
  if (ops.add && Object.keys(ops.add).length) out.add = pairs(ops.add);
  if (ops.remove?.length) out.remove = [...ops.remove];
  return Object.keys(out).length ? out : undefined;
}

/** Istio's Headers as IR (undefined when it changes nothing). */
export function translateHeaders(headers: Headers | undefined): HeadersIR | undefined {
  const request = headerOps(headers?.request);
  const response = headerOps(headers?.response);
  return request || response ? { ...(request ? { request } : {}), ...(response ? { response } : {}) } : undefined;
}

/** Route-level then destination-level operations, as Istio merges them for a single destination. */
export function mergeHeaders(route: HeadersIR | undefined, dest: HeadersIR | undefined): HeadersIR | undefined {
  if (!route || !dest) return route ?? dest;
  const merge = (a?: HeaderOpsIR, b?: HeaderOpsIR): HeaderOpsIR | undefined => {
    if (!a || !b) return a ?? b;
    const out: HeaderOpsIR = {};
    for (const k of ['set', 'add', 'remove'] as const) {
      const list = [...(a[k] ?? []), ...(b[k] ?? [])];
      if (list.length) (out as Record<string, unknown>)[k] = list;
    }
    return out;
  };
  const request = merge(route.request, dest.request);
  const response = merge(route.response, dest.response);
  return { ...(request ? { request } : {}), ...(response ? { response } : {}) };
}

function translateFault(fault: NonNullable<HTTPRoute['fault']>): FaultIR {
  const { delay, abort } = fault;
  // A missing percentage injects into no request, in Istio and in Envoy alike; a delay's deprecated
  // integer percent stands in for it, percentage winning when both are set (Istio's TranslateFault).
  return {
    ...(delay ? { delay: { fixedDelay: toProtoDuration(delay.fixedDelay), percent: delay.percentage?.value ?? delay.percent ?? 0 } } : {}),
    ...(abort
      ? {
          abort:
            abort.grpcStatus !== undefined
              ? { grpcStatus: GRPC_STATUS_CODES[abort.grpcStatus]!, percent: abort.percentage?.value ?? 0 }
              : { httpStatus: abort.httpStatus!, percent: abort.percentage?.value ?? 0 },
        }
      : {}),
  };
}

function translateCors(cors: CorsPolicy): CorsIR {
  return {
    allowOrigins: (cors.allowOrigins ?? []).map(toStringMatch),
    ...(cors.allowMethods?.length ? { allowMethods: cors.allowMethods } : {}),
    ...(cors.allowHeaders?.length ? { allowHeaders: cors.allowHeaders } : {}),
    ...(cors.exposeHeaders?.length ? { exposeHeaders: cors.exposeHeaders } : {}),
    ...(cors.maxAge !== undefined ? { maxAge: toProtoDuration(cors.maxAge) } : {}),
    ...(cors.allowCredentials !== undefined ? { allowCredentials: cors.allowCredentials } : {}),
    ...(cors.unmatchedPreflights === 'IGNORE' ? { forwardUnmatchedPreflights: false } : {}),
  };
}

/** Mirror targets, each resolved like a route destination; `undefined` when one is broken (reported). */
function translateMirrors(rule: HTTPRoute, path: string, source: string, contextPort: number | undefined | 'any', ctx: RouteContext): MirrorIR[] | undefined {
  const list = rule.mirror
    ? [{ destination: rule.mirror, percentage: rule.mirrorPercentage, at: `${path}.mirror` }]
    : (rule.mirrors ?? []).map((m, k) => ({ ...m, at: `${path}.mirrors[${k}].destination` }));
  const mirrors: MirrorIR[] = [];
  for (const m of list) {
    const cluster = resolveDestination(m.destination, m.at, source, contextPort, ctx);
    if (cluster === undefined) return undefined;
    mirrors.push({ cluster, ...(m.percentage !== undefined ? { percent: m.percentage.value } : {}) });
  }
  return mirrors;
}

/** Everything of a rule besides matches, destinations, timeout and retries; `undefined` when broken. */
export function translateRouteParts(rule: HTTPRoute, path: string, source: string, contextPort: number | undefined | 'any', ctx: RouteContext): RoutePartsIR | undefined {
  const mirrors = translateMirrors(rule, path, source, contextPort, ctx);
  if (mirrors === undefined) return undefined;
  const parts: RoutePartsIR = {};
  if (rule.redirect) {
    const r = rule.redirect;
    parts.redirect = { ...(r.uri !== undefined ? { uri: r.uri } : {}), ...(r.authority !== undefined ? { authority: r.authority } : {}), ...(r.port !== undefined ? { port: r.port } : {}), ...(r.scheme !== undefined ? { scheme: r.scheme } : {}), code: (r.redirectCode ?? 301) as RedirectIR['code'] };
  }
  if (rule.directResponse) {
    const { status, body } = rule.directResponse;
    parts.directResponse = { status, ...(body ? { body: body.string !== undefined ? { string: body.string } : { bytes: body.bytes! } } : {}) };
  }
  if (rule.rewrite) {
    const { uri, authority, uriRegexRewrite } = rule.rewrite;
    parts.rewrite = { ...(uri ? { uri } : {}), ...(authority !== undefined ? { authority } : {}), ...(uriRegexRewrite ? { regex: { match: uriRegexRewrite.match, rewrite: uriRegexRewrite.rewrite } } : {}) };
  }
  if (rule.fault) parts.fault = translateFault(rule.fault);
  if (mirrors.length) parts.mirrors = mirrors;
  const headers = translateHeaders(rule.headers);
  if (headers) parts.headers = headers;
  if (rule.corsPolicy) parts.cors = translateCors(rule.corsPolicy);
  return parts;
}
