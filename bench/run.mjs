#!/usr/bin/env node
// `npm run bench`: the edge API's REST polling (bench/edge.mjs), then the bridge's ADS fan-out
// (bench/fanout.mjs), one after the other so they never share the cores. Prints Markdown tables.
// `npm run bench -- --only edge` or `--only fanout` (or BENCH_ONLY=...) runs one of them.
import { parseArgs } from 'node:util';
import { runEdge } from './edge.mjs';
import { runFanout } from './fanout.mjs';

const { values } = parseArgs({ options: { only: { type: 'string' } } });
const only = values.only ?? process.env.BENCH_ONLY;
if (only !== undefined && only !== 'edge' && only !== 'fanout') {
  console.error(`--only takes edge or fanout, not ${only}`);
  process.exit(2);
}
process.on('SIGINT', () => process.exit(130));
process.on('SIGTERM', () => process.exit(143));

let failures = 0;
if (only !== 'fanout') failures += await runEdge();
if (only !== 'edge') failures += await runFanout();
process.exit(failures ? 1 : 0);
