#!/usr/bin/env node
// Bundles the CLI (cli/bin.ts and everything it imports, the yaml package included) into one ES
// module, dist/xdsflare.mjs: the package's `bin`. Node 20 is the oldest Node it must run on.
import { build } from 'esbuild';
import { chmodSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const { version } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const result = await build({
  write: false,
  entryPoints: [join(root, 'cli', 'bin.ts')],
  outfile: join(root, 'dist', 'xdsflare.mjs'),
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'esm',
  // yaml and fast-json-patch are CommonJS and call require() for Node's built-ins.
  banner: { js: "#!/usr/bin/env node\nimport { createRequire as __xdsflareRequire } from 'node:module'; const require = __xdsflareRequire(import.meta.url);" },
  define: { XDSFLARE_VERSION: JSON.stringify(version) },
  logLevel: 'warning',
});
// Written by rename: test files build it side by side, and one may run it while another builds.
for (const file of result.outputFiles) {
  mkdirSync(dirname(file.path), { recursive: true });
  const tmp = `${file.path}.${process.pid}.tmp`;
  writeFileSync(tmp, file.contents);
  chmodSync(tmp, 0o755);
  renameSync(tmp, file.path);
}
