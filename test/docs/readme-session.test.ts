import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startEdge, type RunningEdge } from '../support/start-server';

// Runs the README's curl session exactly as written (only the port differs) against `npm start`.
const root = join(import.meta.dirname, '..', '..');
const readme = readFileSync(join(root, 'README.md'), 'utf8');
const session = /### A first session with curl[\s\S]*?```sh\n([\s\S]*?)```/.exec(readme)?.[1] ?? '';

let edge: RunningEdge;
beforeAll(async () => {
  edge = await startEdge(8789);
}, 120_000);
afterAll(async () => edge?.stop());

it('the README has a curl session', () => {
  expect(session).toContain('curl');
});

it('runs the README curl session as written', () => {
  const script = `set -euo pipefail\n${session.replaceAll('127.0.0.1:8787', `127.0.0.1:${edge.port}`)}`;
  const out = execFileSync('bash', ['-c', script], { cwd: root, encoding: 'utf8', timeout: 60_000 });
  // apply committed one revision with three objects
  expect(out).toMatch(/"revision":\s*1/);
  // CDS: the base cluster and both subset clusters of reviews, with @type
  for (const name of ['outbound|9080||reviews.default.svc.cluster.local', 'outbound|9080|v1|reviews.default.svc.cluster.local', 'outbound|9080|v2|reviews.default.svc.cluster.local']) {
    expect(out).toContain(`"name":"${name}"`);
  }
  expect(out).toContain('"@type":"type.googleapis.com/envoy.config.cluster.v3.Cluster"');
  // RDS for 9080 with the 80/20 split
  expect(out).toContain('"@type":"type.googleapis.com/envoy.config.route.v3.RouteConfiguration"');
  expect(out).toMatch(/"weight":\s*80/);
  // the merge patch made revision 2, and the history lists it
  expect(out).toMatch(/"weight":\s*50/);
  expect(out).toMatch(/"revision":\s*2|"id":\s*2/);
}, 90_000);
