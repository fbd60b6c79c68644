/** HTTP routing in the IR: virtual hosts, their routes, matches and weighted destinations. */
import type { HeaderMatchIR, HeadersIR, QueryParamMatchIR, RoutePartsIR, StringMatchIR } from './route-parts';
import type { HashPolicyIR } from './traffic-policy';

export interface RouteMatchIR {
  uri?: StringMatchIR;
  ignoreUriCase?: boolean;
  headers: HeaderMatchIR[];
  method?: StringMatchIR;
  queryParams?: QueryParamMatchIR[];
  /** sourceLabels, as an index into MeshIR.sourceSelectors: rendered only into views whose proxy labels match. */
  sourceSelector?: number;
}

export interface WeightedClusterIR {
  cluster: string;
  weight: number;
  headers?: HeadersIR;
}

export interface RetryIR {
  attempts: number;
  /** proto3 JSON duration, e.g. "2s". */
  perTryTimeout?: string;
  retryOn: string;
  /** HTTP status codes from retryOn (Envoy's retry_on gets `retriable-status-codes`). */
  retriableStatusCodes?: number[];
}

export interface RouteIR extends RoutePartsIR {
  name?: string;
  /** One Envoy route per match; empty means "everything" (prefix /). */
  matches: RouteMatchIR[];
  /** Empty when the route redirects or answers directly. */
  destinations: WeightedClusterIR[];
  /** proto3 JSON duration; "0s" disables Envoy's default 15 s timeout, as Istio does. */
  timeout: string;
  retry?: RetryIR;
  /** Copied from the first destination cluster that hashes (consistentHash): Envoy hashes per route. */
  hashPolicy?: HashPolicyIR;
  source: string;
  /** Path of the rule in its object, e.g. `spec.http[1]`. */
  path: string;
}

export interface VirtualHostIR {
  name: string;
  domains: string[];
  routes: RouteIR[];
  /** A Gateway server's httpsRedirect: plain HTTP requests are redirected to https (require_tls ALL). */
  requireTls?: boolean;
}
