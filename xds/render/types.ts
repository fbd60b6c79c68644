import type { ResourceType } from '../envoy/type-urls';

/** One rendered resource: canonical proto3 JSON (snake_case, with `@type`) and its content hash. */
export interface RenderedResource {
  name: string;
  json: Record<string, unknown>;
  hash: string;
}

/** One resource type of a rendered view. */
export interface RenderedType {
  /** Content hash over every resource of the type (the version for wildcard subscribers and ADS). */
  version: string;
  resources: Map<string, RenderedResource>;
}

/** Everything one view receives, per type. */
export interface RenderedView {
  view: string;
  types: Record<ResourceType, RenderedType>;
}
