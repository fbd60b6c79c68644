#!/usr/bin/env node
// Bundles the bridge (gateway/main.ts and everything it imports, dependencies included) into one
// ES module, dist/bridge.mjs, so its container needs Node and this file and nothing else.
import { bundle } from './bundle.mjs';

await bundle({ entry: 'gateway/main.ts', outfile: 'dist/bridge.mjs', target: 'node24', sourcemap: true });
