// The translator's public API: intents in, Envoy v3 resources out. No I/O; web-standard APIs only.
export * from './intent';
export type { Diagnostic } from './translate/diagnostics';
export { translateIntents, type TranslateResult } from './translate/to-ir';
export type * from './ir/types';
export { selectView, viewKey, parseView, defaultViews } from './snapshot/view';
export { renderView, versionFor } from './snapshot/render';
export { checkConsistency } from './snapshot/consistency';
export { preflightSnapshot, type PreflightError } from './snapshot/preflight';
export { sourceLocator, type SourceLocator, type SourceRef } from './snapshot/sources';
export { nodeInfoFromRequest } from './snapshot/node';
export { hashContent } from './snapshot/hash';
export type * from './snapshot/types';
export * from './envoy/type-urls';
export * as envoyNames from './envoy/names';
export { createEnvoyRegistry, type EnvoyRegistry } from './envoy/proto-json';
export { createRuleValidator, type RuleValidator, type Violation } from './envoy/validate-rules';
export { SKIPPED_RULES, SUPPORTED_RULES } from './envoy/pgv-rules';
export { clustersOfRouteConfig, routeConfigNamesOf, tcpClustersOf } from './snapshot/references';
