// The translator's public API: intents in, Envoy v3 resources out. No I/O; web-standard APIs only.

// Intents: the Istio objects users write, validated strictly.
export * from './intent';

// Intent → IR, and the IR's views: which config each proxy gets.
export type { Diagnostic } from './translate/diagnostics';
export { translateIntents, type TranslateResult } from './translate/to-ir';
export type * from './ir/types';
export type * from './ir/view-types';
export { selectView, viewKey, parseView, defaultViews, scopeOf, viewLabelKeys, isGrpcClient, renderedFormOf } from './ir/view';
export { nodeInfoFromRequest } from './ir/node';
export { sidecarScope, BLOCK_ALL, type SidecarScope } from './ir/sidecar-scope';

// IR → Envoy: rendered views, and checks of what was rendered.
export { renderView, versionFor } from './render/render';
export type * from './render/types';
export { hashContent, hashNumber } from './render/hash';
export { checkConsistency } from './verify/consistency';
export { preflightSnapshot, type PreflightError } from './verify/preflight';
export { checkPatchValues } from './verify/patch-values';
export { sourceLocator, type SourceLocator } from './verify/sources';
export { clustersOfRouteConfig, routeConfigNamesOf, tcpClustersOf } from './verify/references';

// Envoy: type URLs, resource names, strict decoding and validation against Envoy's protos.
export * from './envoy/type-urls';
export * as envoyNames from './envoy/names';
export { createEnvoyRegistry, type EnvoyRegistry } from './envoy/proto-json';
export { createRuleValidator, type RuleValidator, type Violation } from './envoy/validate-rules';
export { SKIPPED_RULES, SUPPORTED_RULES } from './envoy/pgv-rules';

export * from './secrets';
export * from './bootstrap';
export * from './bridge-sync';
export * from './diff';
export * from './publish';

// What each kind of xDS client accepts, and views adapted to it.
export * from './clients/capabilities';
export { adaptForClient } from './clients/adapt';
export * from './identity/spiffe';
