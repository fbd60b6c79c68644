import type { HashPolicyIR, RouteIR } from '../ir/types';

type Json = Record<string, unknown>;

function buildOne(policy: HashPolicyIR): Json {
  switch (policy.kind) {
    case 'header':
      return { header: { header_name: policy.name } };
    case 'cookie':
      return { cookie: { name: policy.name, ttl: policy.ttl, ...(policy.path !== undefined ? { path: policy.path } : {}) } };
    case 'queryParameter':
      return { query_parameter: { name: policy.name } };
    case 'sourceIp':
      return { connection_properties: { source_ip: true } };
  }
}

/** RouteAction.hash_policy for a route whose cluster hashes (nothing otherwise). */
export function hashPolicyFor(route: RouteIR): Json {
  return route.hashPolicy ? { hash_policy: [buildOne(route.hashPolicy)] } : {};
}
