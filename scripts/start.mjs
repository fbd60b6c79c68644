#!/usr/bin/env node
// `npm start`: the whole control plane on this machine. Creates .dev.vars with a random admin
// token when missing, applies D1 migrations to the local database, then runs the edge API on
// wrangler dev (127.0.0.1:8787).
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const wrangler = join(root, 'node_modules', '.bin', 'wrangler');
const devVars = join(root, '.dev.vars');
const host = process.env.EDGE_HOST ?? '127.0.0.1';
const port = process.env.EDGE_PORT ?? '8787';
const env = { ...process.env, WRANGLER_SEND_METRICS: 'false' };
// EDGE_STATE_DIR keeps a separate local D1 (the benchmark uses one so it never touches yours).
const persist = process.env.EDGE_STATE_DIR ? ['--persist-to', process.env.EDGE_STATE_DIR] : [];

if (!existsSync(devVars)) {
  const token = randomBytes(24).toString('base64url');
  writeFileSync(devVars, `# Local secrets for wrangler dev (never commit).\nADMIN_TOKEN=${token}\nALLOW_ANONYMOUS_XDS=true\n`, { mode: 0o600 });
  console.log(`created .dev.vars with a new admin token`);
}
const adminToken = /^ADMIN_TOKEN=(.*)$/m.exec(readFileSync(devVars, 'utf8'))?.[1]?.trim();

const migrate = spawnSync(wrangler, ['d1', 'migrations', 'apply', 'DB', '--local', ...persist], { cwd: root, env: { ...env, CI: 'true' }, stdio: 'inherit' });
if (migrate.status !== 0) process.exit(migrate.status ?? 1);

const edge = spawn(wrangler, ['dev', '--ip', host, '--port', port, '--show-interactive-dev-session=false', ...persist], { cwd: root, env, stdio: 'inherit' });
console.log(`\nedge API:    http://${host}:${port}  (REST xDS: POST /v3/discovery:*)`);
console.log(`admin token: ${adminToken ?? '(see .dev.vars)'}\n`);

const stop = (signal) => edge.kill(signal);
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
edge.on('exit', (code) => process.exit(code ?? 0));
