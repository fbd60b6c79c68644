#!/usr/bin/env node
// Bundles the bridge (gateway/main.ts and everything it imports, dependencies included) into one
// ES module, dist/bridge.mjs, so its container needs Node and this file and nothing else.
import { build } from 'esbuild';
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const result = await build({
  write: false,
  entryPoints: [join(root, 'gateway', 'main.ts')],
  outfile: join(root, 'dist', 'bridge.mjs'),
  bundle: true,
  platform: 'node',
  target: 'node24',
  format: 'esm',
  sourcemap: 'linked',
  // grpc-js and prom-client are CommonJS and call require() for Node's built-ins.
  banner: { js: "import { createRequire as __xdsflareRequire } from 'node:module'; const require = __xdsflareRequire(import.meta.url);" },
  logLevel: 'warning',
});
// Written by rename: several `npm start`s (the tests run some at once) may build while another loads it.
for (const file of result.outputFiles) {
  mkdirSync(dirname(file.path), { recursive: true });
  const tmp = `${file.path}.${process.pid}.tmp`;
  writeFileSync(tmp, file.contents);
  renameSync(tmp, file.path);
}
