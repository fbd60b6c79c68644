// Comparing config: canonical JSON, patches between objects, diffs of rendered resources. Shared by the edge and the CLI.
export { canonicalJson } from './canonical-json';
export * from './patch';
export * from './rendered';
