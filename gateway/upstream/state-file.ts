import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { BridgeView, NodeClass } from '../../xds';

/** What the bridge persists so a restart during an edge outage still serves: the last good answer. */
export interface SavedState {
  format: 1;
  savedAt: string;
  revision: number;
  classes: { nodeClass: NodeClass; view: string }[];
  /** The label keys views depended on (absent in files from before they were sent). */
  labelKeys?: string[];
  snapshots: Record<string, BridgeView>;
}

/** Written to a temporary file and renamed, so a crash mid-write never leaves a torn file. */
export async function saveState(path: string, state: SavedState): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, JSON.stringify(state));
  await rename(tmp, path);
}

/** The saved state, or undefined when there is none; throws when the file exists but is unusable. */
export async function loadState(path: string): Promise<SavedState | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  const state = JSON.parse(text) as SavedState;
  if (state?.format !== 1 || typeof state.revision !== 'number' || !Array.isArray(state.classes) || typeof state.snapshots !== 'object') {
    throw new Error(`${path} is not a bridge state file`);
  }
  return state;
}
