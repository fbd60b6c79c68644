#!/usr/bin/env node
// Builds the web console (console/) into build/console/, the Worker's static assets (wrangler.toml
// [assets]): console/src/main.tsx and Preact bundled by esbuild into app.js, beside index.html, app.css
// and icon.svg as written. Run by wrangler's [build] step (so `npm start`, `wrangler dev` and
// `wrangler deploy`) and by vitest.config.ts (the workers pool reads the same [assets]). Takes ~100 ms.
import { build } from 'esbuild';
import { copyFileSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const source = join(root, 'console');
const out = join(root, 'build', 'console');
const STATIC_FILES = ['index.html', 'app.css', 'icon.svg'];

mkdirSync(out, { recursive: true });
await build({
  entryPoints: [join(source, 'src', 'main.tsx')],
  outfile: join(out, 'app.js'),
  bundle: true,
  format: 'esm',
  // Browsers of the last two years (ES2022: top-level await, class fields, Array.at).
  target: 'es2022',
  platform: 'browser',
  jsx: 'automatic',
  jsxImportSource: 'preact',
  minify: true,
  sourcemap: false,
  legalComments: 'none',
  logLevel: 'warning',
});
for (const file of STATIC_FILES) copyFileSync(join(source, file), join(out, file));
