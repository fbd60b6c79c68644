// Published config: rendered views stored so reads never translate and writes cost what they change.
export type { BlobStore, ChunkRef, Collection, Item } from './types';
export { buildCollection, collectionItems, emptyCollection, findItems, spliceCollection, type CollectionEdit } from './collection';
export { contentKey, decodeChunk, utf8Length } from './chunk';
export { addSums, collectionVersion, itemTerm } from './version';
export * from './published-view';
export * from './root';
export { needsFullCompile, publishFull, REST_TEMPLATE, subscriberOf, variantsOf, viewSelectorOf } from './compile-full';
export { compileIncremental, ownerHost, type ChangedResource, type IncrementalResult } from './compile-incremental';
export { closureOf, objectKey, type Closure, type ConfigSource, type ObjectChange } from './closure';
export { fullCompileFeatures, refsOf, type ObjectRef, type RefRole } from './refs';
export { MemoryBlobStore } from './memory-store';
export { MemoryConfigSource } from './memory-source';
export { diffPublished, type PublishedChange } from './diff-published';
export { viewChanges, type PartChanges, type TypeChanges } from './view-changes';
export { answerTexts, decodePublishedView, fillIn, publishedAnswer, type PublishedAnswer, type RestValues } from './answer';
