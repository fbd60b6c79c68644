// One Node program bundled by esbuild into one ES module under dist/, as the bridge and the CLI ship.
import { build } from 'esbuild';
import { chmodSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = join(dirname(fileURLToPath(import.meta.url)), '..');

// CommonJS dependencies (grpc-js, prom-client, yaml, fast-json-patch) call require() for Node's built-ins.
const REQUIRE_SHIM = "import { createRequire as __xdsflareRequire } from 'node:module'; const require = __xdsflareRequire(import.meta.url);";

/**
 * Bundles `entry` (relative to the repository) into `outfile` for Node `target`. Written by rename:
 * test files and `npm start`s build side by side, and one may load the file while another writes it.
 * `executable` adds the shebang and the exec bit (a package `bin`).
 */
export async function bundle({ entry, outfile, target, executable = false, sourcemap = false, define = {} }) {
  const result = await build({
    write: false,
    entryPoints: [join(root, entry)],
    outfile: join(root, outfile),
    bundle: true,
    platform: 'node',
    target,
    format: 'esm',
    sourcemap: sourcemap ? 'linked' : false,
    banner: { js: `${executable ? '#!/usr/bin/env node\n' : ''}${REQUIRE_SHIM}` },
    define,
    logLevel: 'warning',
  });
  for (const file of result.outputFiles) {
    mkdirSync(dirname(file.path), { recursive: true });
    const tmp = `${file.path}.${process.pid}.tmp`;
    writeFileSync(tmp, file.contents);
    if (executable) chmodSync(tmp, 0o755);
    renameSync(tmp, file.path);
  }
}
