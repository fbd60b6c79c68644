import type { BlobStore } from './types';
import { contentKey } from './chunk';
import type { Variant } from './published-view';
import type { ViewSelector } from '../ir/view-types';

export type { ViewSelector };


/** A revision as published: how to choose a view, and every view published for it. */
export interface PublishedRoot {
  format: 1;
  revision: number;
  /** `incremental`: later writes splice this root; `full`: the config uses what only a full compile renders. */
  mode: 'incremental' | 'full';
  selector: ViewSelector;
  /** `${viewKey}#${variant}` → key of the view's index. Views not here are rendered on demand. */
  views: Record<string, string>;
}

export const viewSlot = (viewKey: string, variant: Variant) => `${viewKey}#${variant}`;

export async function putRoot(store: BlobStore, root: PublishedRoot): Promise<string> {
  const content = JSON.stringify(root);
  const key = await contentKey('m', content);
  await store.put(key, content);
  return key;
}

export async function getRoot(store: BlobStore, key: string): Promise<PublishedRoot> {
  const content = await store.get(key);
  if (content === undefined) throw new Error(`published root ${key} is missing`);
  return JSON.parse(content) as PublishedRoot;
}
