#!/usr/bin/env node
// `npm run bench`: the edge API's REST polling (bench/edge.mjs), then the bridge's ADS fan-out
// (bench/fanout.mjs), then the scale envelope at 1,000 to 20,000 services (bench/scale.mjs), one after
// the other so they never share the cores. Prints Markdown tables.
// `npm run bench -- --only edge`, `--only fanout` or `--only scale` (or BENCH_ONLY=...) runs one of them.
import { parseArgs } from 'node:util';
import { runEdge } from './edge.mjs';
import { runFanout } from './fanout.mjs';
import { runScale } from './scale.mjs';

const { values } = parseArgs({ options: { only: { type: 'string' } } });
const only = values.only ?? process.env.BENCH_ONLY;
const parts = ['edge', 'fanout', 'scale'];
if (only !== undefined && !parts.includes(only)) {
  console.error(`--only takes ${parts.join(', ')}, not ${only}`);
  process.exit(2);
}
process.on('SIGINT', () => process.exit(130));
process.on('SIGTERM', () => process.exit(143));

let failures = 0;
if (only === undefined || only === 'edge') failures += await runEdge();
if (only === undefined || only === 'fanout') failures += await runFanout();
if (only === undefined || only === 'scale') failures += await runScale();
process.exit(failures ? 1 : 0);
