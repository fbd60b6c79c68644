// The public contract: Istio networking objects, validated strictly.
export * from './common';
export * from './destination-rule';
export * from './envoy-filter';
export { durationToMillis, parseDuration, toProtoDuration } from './duration';
export { describeValue, formatPath, prefixPath } from './errors';
export * from './gateway';
export * from './kinds';
export * from './manifest';
export * from './service-entry';
export * from './short-names';
export * from './sidecar';
export type * from './types';
export * from './validate';
export * from './value-limits';
export * from './virtual-service';
