import { mkdir, open, readFile, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/** One file of GET /api/v1/export: a path relative to the export directory, and its content (JSON, or text as is). */
export interface ExportFileToWrite {
  name: string;
  content: unknown;
}

export interface WriteExportOptions {
  /** fsync each file before it is renamed into place (default true): a crash never leaves an empty file Envoy would read. */
  fsync?: boolean;
}

export interface WriteExportResult {
  /** Files renamed into place, in order. */
  written: string[];
  /** Files whose content was already on disk: not rewritten, so Envoy does not reload them. */
  unchanged: string[];
  /** Files an earlier export wrote that this one neither lists nor references, removed last. */
  removed: string[];
}

/** What this module wrote into a directory, so a later export removes its own stale files and nothing else. */
export const MANIFEST = '.xdsflare-export';

// Relative, portable characters only, no segment starting with a dot (so no `..`, no hidden or temp files).
const SAFE_NAME = /^[A-Za-z0-9_-][A-Za-z0-9._-]*(\/[A-Za-z0-9_-][A-Za-z0-9._-]*)*$/;

let sequence = 0;

function checkNames(files: ExportFileToWrite[]): void {
  const seen = new Set<string>();
  for (const { name } of files) {
    if (typeof name !== 'string' || !SAFE_NAME.test(name) || !name.endsWith('.json')) {
      throw new Error(`refusing to write ${JSON.stringify(name)}: export file names are relative *.json paths of portable characters`);
    }
    if (seen.has(name)) throw new Error(`${name} is listed twice`);
    seen.add(name);
  }
}

const serialise = (content: unknown) => (typeof content === 'string' ? content : `${JSON.stringify(content, null, 2)}\n`);

async function readIfExists(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT' || (err as NodeJS.ErrnoException).code === 'EISDIR') return undefined;
    throw err;
  }
}

/**
 * Writes `text` to `path` atomically: a temp file in the same directory (`.<name>.tmp-<pid>-<n>`,
 * so the rename never crosses file systems), optionally fsynced, then renamed over the target.
 * Envoy's filesystem subscription reloads on that move and never sees a half-written file.
 */
export async function writeAtomically(path: string, text: string, fsync = true): Promise<void> {
  const temp = join(dirname(path), `.${basename(path)}.tmp-${process.pid}-${++sequence}`);
  const handle = await open(temp, 'wx', 0o644);
  try {
    try {
      await handle.writeFile(text, 'utf8');
      if (fsync) await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, path);
  } catch (err) {
    await unlink(temp).catch(() => undefined);
    throw err;
  }
}

async function readManifest(dir: string): Promise<string[]> {
  const text = await readIfExists(join(dir, MANIFEST));
  if (!text) return [];
  try {
    const names: unknown = JSON.parse(text);
    // Only names this module could have written: a tampered manifest cannot make us delete elsewhere.
    return Array.isArray(names) ? names.filter((n): n is string => typeof n === 'string' && SAFE_NAME.test(n) && n.endsWith('.json')) : [];
  } catch {
    return [];
  }
}

/** Every `path_config_source.path` the files' contents name: the files Envoy will read through them. */
function referencedPaths(value: unknown, out = new Set<string>()): Set<string> {
  if (Array.isArray(value)) value.forEach((v) => referencedPaths(v, out));
  else if (value && typeof value === 'object') {
    const source = (value as { path_config_source?: { path?: unknown } }).path_config_source;
    if (typeof source?.path === 'string') out.add(source.path);
    Object.values(value).forEach((v) => referencedPaths(v, out));
  }
  return out;
}

/**
 * Writes an export into `dir` in the order given (the edge lists children before what references
 * them), each file atomically, then removes the files an earlier export wrote that this one
 * neither lists nor references — only after the new ones are in place. The manifest of what we wrote always covers
 * every file of ours on disk, even after a crash half-way, so nothing of ours is ever left behind
 * and nothing of anyone else's is ever removed.
 */
export async function writeExport(dir: string, files: ExportFileToWrite[], options: WriteExportOptions = {}): Promise<WriteExportResult> {
  checkNames(files);
  const fsync = options.fsync ?? true;
  await mkdir(dir, { recursive: true });
  const previous = await readManifest(dir);
  const names = files.map((f) => f.name);
  await writeAtomically(join(dir, MANIFEST), JSON.stringify([...new Set([...previous, ...names])].sort()), fsync);

  const result: WriteExportResult = { written: [], unchanged: [], removed: [] };
  for (const file of files) {
    const path = join(dir, file.name);
    const text = serialise(file.content);
    await mkdir(dirname(path), { recursive: true });
    if ((await readIfExists(path)) === text) {
      result.unchanged.push(file.name);
      continue;
    }
    await writeAtomically(path, text, fsync);
    result.written.push(file.name);
  }

  // A file the new config still reads stays (and stays ours): e.g. a secret the edge left out for a
  // token without secrets:read, which the clusters and listeners written above still name.
  const referenced = referencedPaths(files.map((f) => f.content));
  const kept = previous.filter((n) => !names.includes(n) && referenced.has(join(dir, n)));
  const keep = new Set([...names, ...kept]);
  for (const stale of previous.filter((n) => !keep.has(n))) {
    await unlink(join(dir, stale)).then(
      () => result.removed.push(stale),
      (err: NodeJS.ErrnoException) => {
        if (err.code !== 'ENOENT') throw err;
      },
    );
  }
  await writeAtomically(join(dir, MANIFEST), JSON.stringify([...keep].sort()), fsync);
  return result;
}
