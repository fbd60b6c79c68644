/**
 * Where Envoy's filesystem subscription (`path_config_source`) finds each resource, in one place:
 * the bootstrap, the rendered config sources and the export all name files through here.
 *
 * Layout under the export directory: `cds.json`, `lds.json`, and one file per ClusterLoadAssignment
 * (`eds/`), per RouteConfiguration (`rds/`) and per SDS secret (`sds/`) — Envoy rejects a file (or
 * REST) EDS or RDS answer holding more than one resource (xds-protocol.md §7).
 */

/** The sub-directories of named resources. */
export const FILE_SUBSCRIPTION_DIRS = { endpoints: 'eds', routes: 'rds', secrets: 'sds' } as const;
export type NamedFileType = keyof typeof FILE_SUBSCRIPTION_DIRS;

/** The wildcard types' files, directly in the export directory. */
export const WILDCARD_FILES = { clusters: 'cds.json', listeners: 'lds.json' } as const;

/** A name past this many bytes is cut and made unique with a hash, so every file name stays under 255 bytes. */
const MAX_NAME_BYTES = 200;

const SAFE = /[A-Za-z0-9.-]/;

/**
 * A resource name as a portable file name (POSIX portable characters only), reversibly: `|` becomes
 * `__` (cluster names `outbound|9080|v1|host` stay readable), any other byte outside `[A-Za-z0-9.-]`
 * — `_` included — becomes `_` + two hex digits, and so does a leading `.` (no hidden files, no clash
 * with the writer's `.<name>.tmp-*` temp files). Distinct names always give distinct file names.
 */
export function fileNameOf(name: string): string {
  let out = '';
  for (const byte of new TextEncoder().encode(name)) {
    const ch = String.fromCharCode(byte);
    if (ch === '|') out += '__';
    else if (byte < 0x80 && SAFE.test(ch) && !(ch === '.' && out === '')) out += ch;
    else out += `_${byte.toString(16).padStart(2, '0')}`;
  }
  if (out.length > MAX_NAME_BYTES) out = `${out.slice(0, MAX_NAME_BYTES - 18)}_-${fnv64(name)}`;
  return `${out}.json`;
}

/** The file a named resource is read from, relative to the export directory (`eds/<file>.json`). */
export const relativeFilePath = (type: NamedFileType, name: string) => `${FILE_SUBSCRIPTION_DIRS[type]}/${fileNameOf(name)}`;

/** `dir` + a relative path, without doubling the separator. */
export const joinPath = (dir: string, relative: string) => `${dir.replace(/\/+$/, '')}/${relative}`;

/** The ConfigSource that reads one named resource from its file, reloading when that file is renamed into place. */
export function pathConfigSource(dir: string, type: NamedFileType, name: string): Record<string, unknown> {
  return fileConfigSource(joinPath(dir, relativeFilePath(type, name)));
}

/**
 * A `path_config_source` ConfigSource: Envoy reloads `path` when a file is moved onto it (it watches
 * the parent directory, filtered by name). No `watched_directory`: with one, every move into the
 * directory reloads every file read from it, so one changed EDS file would reload them all.
 */
export function fileConfigSource(path: string): Record<string, unknown> {
  return { path_config_source: { path }, resource_api_version: 'V3' };
}

/** 64-bit FNV-1a as 16 hex digits: a stable suffix for cut names (not a security boundary). */
function fnv64(text: string): string {
  let h = 0xcbf29ce484222325n;
  for (const byte of new TextEncoder().encode(text)) h = BigInt.asUintN(64, (h ^ BigInt(byte)) * 0x100000001b3n);
  return h.toString(16).padStart(16, '0');
}
