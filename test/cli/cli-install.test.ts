import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

// The CLI installed the ways docs/cli.md says, each into a temporary global prefix, then run:
// from a packed tarball of this checkout, and from a git URL in two steps (npm pack, then install -g).
// They need the npm registry (or npm's cache holding every package): a git URL's pack installs them all.

const root = join(import.meta.dirname, '..', '..');
const { version } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const npm = (args: string[], cwd: string) => {
  const r = spawnSync('npm', [...args, '--no-audit', '--no-fund', '--prefer-offline'], { cwd, encoding: 'utf8', timeout: 280_000, env: { ...process.env, npm_config_loglevel: 'error' } });
  if (r.status !== 0) throw new Error(`npm ${args.join(' ')} (${r.status}):\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
};
const installedVersion = (prefix: string) => execFileSync(join(prefix, 'bin', 'xdsflare'), ['--version'], { encoding: 'utf8' }).trim();

describe('installing the CLI', () => {
  it('from npm pack of a checkout: the tarball holds the bundle alone, and npm install -g of it runs', () => {
    const tmp = mkdtempSync(join(tmpdir(), 'xdsflare-install-'));
    const file = npm(['pack', '--pack-destination', tmp], root).trim().split('\n').at(-1)!;
    expect(execFileSync('tar', ['tzf', join(tmp, file)], { encoding: 'utf8' }).split('\n').filter(Boolean).sort()).toEqual(['package/README.md', 'package/dist/xdsflare.mjs', 'package/package.json']);
    npm(['install', '-g', '--prefix', join(tmp, 'prefix'), join(tmp, file)], tmp);
    expect(installedVersion(join(tmp, 'prefix'))).toBe(version);
  }, 300_000);

  it('from a git URL in two steps, npm pack <url> then npm install -g of the tarball', () => {
    const tmp = mkdtempSync(join(tmpdir(), 'xdsflare-install-git-'));
    // The committed tree, as a git URL serves it (a copy that is no repository, as test runners make, is committed first).
    const repo = join(tmp, 'repo');
    if (spawnSync('git', ['-C', root, 'rev-parse', '--is-inside-work-tree']).status === 0) execFileSync('git', ['clone', '--quiet', '--depth', '1', `file://${root}`, repo]);
    else {
      execFileSync('bash', ['-c', `mkdir -p "${repo}" && tar -C "${root}" --exclude=./node_modules --exclude=./.wrangler --exclude=./dist --exclude=./build -cf - . | tar -C "${repo}" -xf -`]);
      execFileSync('bash', ['-c', 'git init -q && git add -A && git -c user.email=test@example.com -c user.name=test commit -qm snapshot'], { cwd: repo });
    }
    const file = npm(['pack', `git+file://${repo}`], tmp).trim().split('\n').at(-1)!;
    npm(['install', '-g', '--prefix', join(tmp, 'prefix'), join(tmp, file)], tmp);
    expect(installedVersion(join(tmp, 'prefix'))).toBe(version);
  }, 300_000);
});
