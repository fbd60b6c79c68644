import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// The layering rules in .dependency-cruiser.cjs, run the way `npm run lint:deps` runs them: over a small
// tree that breaks three of them on purpose (so an empty or loosened config fails here), and over this repo.
const root = join(import.meta.dirname, '..', '..');
const lintDeps: string = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).scripts['lint:deps'];
const [command, ...args] = lintDeps.split(' ');
const cruiser = join(root, 'node_modules', 'dependency-cruiser', 'bin', 'dependency-cruiser.mjs');
const options = args.filter((arg, i) => arg.startsWith('--') || args[i - 1]?.startsWith('--'));
const targets = args.slice(options.length);
const config = join(root, '.dependency-cruiser.cjs');

const depcruise = (cwd: string, paths: string[]) => {
  const argv = [cruiser, ...options.map((arg) => (arg === '.dependency-cruiser.cjs' ? config : arg)), ...paths];
  const result = spawnSync(process.execPath, argv, { cwd, encoding: 'utf8' });
  return { status: result.status, output: result.stdout + result.stderr };
};

/** `error <rule>: <from> → ...` lines of the err-long report, as `<rule> <from>`. */
const violations = (output: string) => [...output.matchAll(/^\s*error ([\w-]+): (\S+)/gm)].map(([, rule, from]) => `${rule} ${from}`).sort();

const FIXTURE: Record<string, string> = {
  'node_modules/hono/package.json': '{ "name": "hono", "main": "index.js" }',
  'node_modules/hono/index.js': 'export class Hono {}\n',
  'functions/env.ts': 'export interface Env { DB: unknown }\n',
  'functions/index.ts': "import app from './app';\nexport default app;\n",
  'functions/app.ts': "import { proxies } from './api/proxies';\nimport { state } from './domain/status/state';\nexport default { proxies, state };\n",
  // (c) the domain floor reaching for Hono.
  'functions/domain/status/state.ts': "import { Hono } from 'hono';\nimport type { Env } from '../../env';\nexport const state = (env: Env) => [new Hono(), env];\n",
  // (b) the edge importing the bridge.
  'functions/api/proxies.ts': "import { bridge } from '../../gateway/bridge';\nexport const proxies = bridge;\n",
  'gateway/bridge.ts': "import { pure } from '../xds/ir/a';\nexport const bridge = pure;\n",
  // (a) a cycle made of type-only imports.
  'xds/ir/a.ts': "import type { B } from './b';\nexport type A = { b?: B };\nexport const pure = 1;\n",
  'xds/ir/b.ts': "import type { A } from './a';\nexport type B = { a?: A };\n",
  // Allowed: a feature's own modules, the runtime's cloudflare:workers, and tests reaching anywhere.
  'functions/api/objects.ts': "import { DurableObject } from 'cloudflare:workers';\nimport { proxies } from './proxies';\nexport const objects = [DurableObject, proxies];\n",
  'xds/ir/a.test.ts': "import { readFileSync } from 'node:fs';\nimport type { Env } from '../../functions/env';\nexport const read = (env: Env) => [readFileSync, env];\n",
  // More edges the rules forbid: a feature importing another feature and the app, xds/ using Node,
  // the CLI importing the edge, an import that resolves to nothing.
  'functions/secrets/api.ts': "import { objects } from '../api/objects';\nimport app from '../app';\nexport const secrets = [objects, app];\n",
  'xds/ir/c.ts': "import { createHash } from 'node:crypto';\nexport const hash = createHash;\n",
  'cli/main.ts': "import type { Env } from '../functions/env';\nimport { gone } from './moved-away';\nexport const main = (env: Env) => [gone, env];\n",
  // The web console reaching into the Worker, and for a Node builtin.
  'console/src/main.tsx': "import type { Env } from '../../functions/env';\nimport { readFileSync } from 'node:fs';\nexport const main = (env: Env) => [readFileSync, env];\n",
};

describe('the layering check (npm run lint:deps)', () => {
  let fixture: string;
  let report: ReturnType<typeof depcruise>;

  beforeAll(() => {
    fixture = mkdtempSync(join(tmpdir(), 'layering-'));
    for (const [path, text] of Object.entries(FIXTURE)) {
      mkdirSync(dirname(join(fixture, path)), { recursive: true });
      writeFileSync(join(fixture, path), text);
    }
    report = depcruise(fixture, ['functions', 'gateway', 'xds', 'cli', 'console']);
  });
  afterAll(() => rmSync(fixture, { recursive: true, force: true }));

  it('is the dependency-cruiser CLI with this config', () => {
    expect(command).toBe('depcruise');
    expect(options).toEqual(['--config', '.dependency-cruiser.cjs', '--output-type', 'err-long']);
  });

  it('fails on exactly the forbidden edges, naming rule, file and import', () => {
    expect(report.status, report.output).not.toBe(0);
    expect(violations(report.output)).toEqual([
      'app-only-from-index functions/secrets/api.ts',
      'cli-not-edge-or-bridge cli/main.ts',
      'console-is-a-browser-client console/src/main.tsx',
      'console-no-builtins console/src/main.tsx',
      'domain-no-hono functions/domain/status/state.ts',
      'edge-not-bridge functions/api/proxies.ts',
      'feature-below-app functions/secrets/api.ts',
      'feature-not-feature functions/secrets/api.ts',
      'no-circular xds/ir/a.ts',
      'not-to-unresolvable cli/main.ts',
      'xds-no-builtins xds/ir/c.ts',
    ]);
    expect(report.output).toContain('error domain-no-hono: functions/domain/status/state.ts → node_modules/hono/index.js');
    expect(report.output).toContain('error edge-not-bridge: functions/api/proxies.ts → gateway/bridge.ts');
    expect(report.output).toMatch(/error no-circular: xds\/ir\/a\.ts → \s*xds\/ir\/b\.ts →\s*xds\/ir\/a\.ts/);
  });

  it('says what each broken rule protects', () => {
    expect(report.output).toMatch(/functions\/domain\/ is the edge floor/);
    expect(report.output).toMatch(/share only xds\//);
  });

  it('passes on this repository', () => {
    const real = depcruise(root, targets);
    expect(real.status, real.output).toBe(0);
    expect(real.output).toMatch(/no dependency violations found/);
  });
});
