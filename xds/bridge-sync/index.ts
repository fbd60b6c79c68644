// The edge ↔ bridge contract (POST /api/v1/snapshots): both sides import it from here.
export * from './schemas';
export { checkSnapshotsAnswer, type SnapshotsAnswer } from './answer';
export { applyViewChanges, resourceNameOf } from './apply-changes';
export { nodeClassOf, nodeInfoOfClass, type NodeClass } from './node-class';
