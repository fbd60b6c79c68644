/**
 * The parts of an HTTP route beyond match and destinations (VirtualService `http[]`): what Envoy's
 * Route carries besides its cluster. Plain data; percentages are 0–100, durations proto3 JSON strings.
 */

/** A string condition (Istio's StringMatch): exact, prefix or regex. */
export interface StringMatchIR {
  kind: 'exact' | 'prefix' | 'regex';
  value: string;
}

/** A header condition: `match` absent means "present with any value"; `invert` negates (withoutHeaders). */
export interface HeaderMatchIR {
  name: string;
  match?: StringMatchIR;
  invert?: boolean;
}

/** A query parameter condition: `match` absent means "present with any value". */
export interface QueryParamMatchIR {
  name: string;
  match?: StringMatchIR;
}

export interface HeaderValueIR {
  name: string;
  value: string;
}

/** Header operations in Istio's order: set (overwrite), add (append), remove. */
export interface HeaderOpsIR {
  set?: HeaderValueIR[];
  add?: HeaderValueIR[];
  remove?: string[];
}

export interface HeadersIR {
  request?: HeaderOpsIR;
  response?: HeaderOpsIR;
}

export interface RedirectIR {
  uri?: string;
  authority?: string;
  port?: number;
  scheme?: string;
  code: 301 | 302 | 303 | 307 | 308;
}

export interface DirectResponseIR {
  status: number;
  body?: { string: string } | { bytes: string };
}

export interface RewriteIR {
  uri?: string;
  authority?: string;
  regex?: { match: string; rewrite: string };
}

export interface FaultIR {
  delay?: { fixedDelay: string; percent: number };
  abort?: { httpStatus: number; percent: number } | { grpcStatus: number; percent: number };
}

export interface MirrorIR {
  cluster: string;
  /** Absent: every request. */
  percent?: number;
}

export interface CorsIR {
  allowOrigins: StringMatchIR[];
  allowMethods?: string[];
  allowHeaders?: string[];
  exposeHeaders?: string[];
  /** proto3 JSON duration. */
  maxAge?: string;
  allowCredentials?: boolean;
  /** Istio's unmatchedPreflights: IGNORE → false; Envoy's default (forward) otherwise. */
  forwardUnmatchedPreflights?: boolean;
}

/** What a route does besides forwarding: redirect or direct response replace the destinations. */
export interface RoutePartsIR {
  redirect?: RedirectIR;
  directResponse?: DirectResponseIR;
  rewrite?: RewriteIR;
  fault?: FaultIR;
  mirrors?: MirrorIR[];
  headers?: HeadersIR;
  cors?: CorsIR;
}
