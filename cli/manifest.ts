import { readdir, readFile, stat } from 'node:fs/promises';
import { extname, join, relative, resolve, sep } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { CliError, EXIT, UsageError } from './exit-codes';

/** One object of a manifest and where it came from, to point at it when the server refuses it. */
export interface ManifestDoc {
  object: unknown;
  /** The file as the user named it (or `-` for stdin). */
  file: string;
  /** 1-based document number within the file. */
  document: number;
}

const MANIFEST_EXTENSIONS = new Set(['.yaml', '.yml', '.json']);

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Every *.yaml, *.yml and *.json under a directory, recursively, in sorted order. Symbolic links to
 * files are followed; a link that leads nowhere or to a directory is refused, never skipped (a
 * skipped file's objects would be deleted by --prune). Hidden entries are skipped: a Kubernetes
 * ConfigMap mount keeps its real files under `..<timestamp>/` and `..data`, beside links to them.
 */
async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  const files: string[] = [];
  for (const e of entries) {
    const path = join(e.parentPath, e.name);
    if (relative(dir, path).split(sep).some((segment) => segment.startsWith('.'))) continue;
    const manifest = MANIFEST_EXTENSIONS.has(extname(e.name).toLowerCase());
    if (e.isSymbolicLink()) {
      const target = await stat(path).catch(() => undefined);
      if (target?.isDirectory()) throw new UsageError(`${path}: a symbolic link to a directory; name it with its own -f`);
      if (manifest && !target?.isFile()) throw new UsageError(`${path}: a symbolic link to nothing readable`);
      if (manifest) files.push(path);
    } else if (e.isFile() && manifest) files.push(path);
  }
  return files.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

/**
 * The objects of a YAML or JSON text (JSON is YAML): every document, a JSON array's items, and a
 * Kubernetes `kind: List`'s items. Duplicate keys are refused, as the edge refuses them.
 */
export function parseManifestText(text: string, file: string): ManifestDoc[] {
  const docs: ManifestDoc[] = [];
  let document = 0;
  for (const doc of parseAllDocuments(text, { uniqueKeys: true, prettyErrors: true })) {
    document++;
    const problem = doc.errors[0] ?? doc.warnings.find((w) => w.code === 'TAG_RESOLVE_FAILED');
    if (problem) throw new CliError(EXIT.refused, `${file}: invalid YAML in document ${document}: ${problem.message.split('\n')[0]}`);
    const value: unknown = doc.toJS({ maxAliasCount: 100 });
    if (value === null || value === undefined) continue;
    const items = Array.isArray(value) ? value : isRecord(value) && value.kind === 'List' && Array.isArray(value.items) ? value.items : [value];
    for (const object of items) docs.push({ object, file, document });
  }
  return docs;
}

/** Reads `-f` arguments: files, directories (recursively) and `-` (stdin), in the order given. */
export async function readManifests(paths: string[], cwd: string, readStdin: () => Promise<string>): Promise<ManifestDoc[]> {
  if (!paths.length) throw new UsageError('-f <file|dir|-> is required');
  const docs: ManifestDoc[] = [];
  for (const path of paths) {
    if (path === '-') {
      docs.push(...parseManifestText(await readStdin(), '-'));
      continue;
    }
    const full = resolve(cwd, path);
    const info = await stat(full).catch(() => undefined);
    if (!info) throw new UsageError(`${path}: no such file or directory`);
    const files = info.isDirectory() ? await filesUnder(full) : [full];
    if (info.isDirectory() && !files.length) throw new UsageError(`${path}: no *.yaml, *.yml or *.json files in this directory`);
    for (const file of files) {
      const shown = info.isDirectory() ? join(path, relative(full, file)) : path;
      docs.push(...parseManifestText(await readFile(file, 'utf8'), shown));
    }
  }
  return docs;
}

/** `[3].spec.hosts` → the same path, followed by the file and document the fourth object came from. */
export function describeManifestPath(docs: ManifestDoc[]): (path: string) => string {
  return (path) => {
    const m = /^\[(\d+)\]/.exec(path);
    const doc = m ? docs[Number(m[1])] : undefined;
    if (!doc) return path;
    const o = isRecord(doc.object) ? doc.object : {};
    const meta = isRecord(o.metadata) ? o.metadata : {};
    const what = typeof o.kind === 'string' && typeof meta.name === 'string' ? `, ${o.kind} ${meta.name}` : '';
    return `${path} (${doc.file}, document ${doc.document}${what})`;
  };
}
