#!/usr/bin/env node
// Bundles the CLI (cli/bin.ts and everything it imports, the yaml package included) into one ES
// module, dist/xdsflare.mjs: the package's `bin`. Node 20 is the oldest Node it must run on.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { bundle, root } from './bundle.mjs';

const { version } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
await bundle({ entry: 'cli/bin.ts', outfile: 'dist/xdsflare.mjs', target: 'node20', executable: true, define: { XDSFLARE_VERSION: JSON.stringify(version) } });
