import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { buildCli, freePort } from '../cli/cli-fixtures';
import { startEdge, type RunningEdge } from '../support/start-server';

// A new user's afternoon: the README's curl session, then the CLI's first session, in that order on
// one database. The curl session leaves node sidecar-1 behind, which never polls again: the CLI's
// waits must not hang on it (stale proxies are waited for by nobody) and the rollout must succeed.
const root = join(import.meta.dirname, '..', '..');
const block = (file: string, heading: string) => new RegExp(`${heading}[\\s\\S]*?\`\`\`sh\\n([\\s\\S]*?)\`\`\``).exec(readFileSync(join(root, file), 'utf8'))?.[1] ?? '';

let edge: RunningEdge;
beforeAll(async () => {
  buildCli();
  edge = await startEdge(await freePort(), { env: { XDSFLARE_NO_BRIDGE: '1' } });
}, 120_000);
afterAll(async () => edge?.stop());

it('runs the README curl session, then docs/cli.md\'s CLI session, on one database', () => {
  const curl = block('README.md', '### A first session with curl');
  const cli = block('docs/cli.md', '## A first session with the CLI');
  expect(curl).toContain('sidecar-1');
  const script = `set -euo pipefail\n${curl.replaceAll('127.0.0.1:8787', `127.0.0.1:${edge.port}`)}\necho '=== cli'\n${cli}`;
  const run = spawnSync('bash', ['-c', script], { cwd: root, encoding: 'utf8', timeout: 170_000, env: { PATH: process.env.PATH, HOME: process.env.HOME, XDSFLARE_SERVER: edge.base } });
  expect(run.status, run.stderr).toBe(0);
  const cliOut = run.stdout.slice(run.stdout.indexOf('=== cli'));
  // apply --wait ended once sidecar-1 went stale, saying so; the rollout did not wait for it either.
  expect(cliOut).toMatch(/revision (\d+) committed\nrevision \1: (no-proxies|converged)/);
  expect(run.stderr).toMatch(/waiting: revision \d+ pending: 0 converged, 1 pending \(sidecar-1\)/);
  expect(cliOut).toMatch(/rollout \d+: succeeded, step 3 of 3, candidate at 100%/);
}, 180_000);
