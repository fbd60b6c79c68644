import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseInvocation } from '../../cli/args';
import { ciHeaders } from '../../cli/ci-env';
import { formatIntentDiff } from '../../cli/diff';
import { formatDuration, parseDuration } from '../../cli/duration';
import { EXIT, exitCodeForStatus, UsageError } from '../../cli/exit-codes';
import { COMMANDS } from '../../cli/main';
import { describeManifestPath, parseManifestText, readManifests } from '../../cli/manifest';
import { apiError } from '../../cli/problem';
import { parseDestination, parseSteps } from '../../cli/commands/rollout';
import { formatRollout } from '../../cli/commands/rollout-format';
import { sourceText } from '../../cli/commands/get';
import { resolveTarget } from '../../cli/contexts';
import { diffRendered, patchBetween } from '../../xds/diff';

// The CLI's pure parts, without a server: durations, argument parsing, CI identifiers, manifests, diffs.

describe('durations', () => {
  it('reads ms, s, m, h and combinations', () => {
    expect(parseDuration('250ms')).toBe(250);
    expect(parseDuration('30s')).toBe(30_000);
    expect(parseDuration('5m')).toBe(300_000);
    expect(parseDuration('1h')).toBe(3_600_000);
    expect(parseDuration('1m30s')).toBe(90_000);
    expect(parseDuration('1.5s')).toBe(1500);
    expect(parseDuration('0')).toBe(0);
  });

  it('refuses a bare number, a negative, an unknown unit and trailing junk', () => {
    for (const bad of ['300', '-5s', '5d', '5 m', '5mx', '', 's']) expect(parseDuration(bad), bad).toBeInstanceOf(Error);
    expect((parseDuration('300') as Error).message).toContain('needs a unit');
  });

  it('formats for messages', () => {
    expect(formatDuration(90_000)).toBe('1m30s');
    expect(formatDuration(250)).toBe('250ms');
    expect(formatDuration(3_600_000)).toBe('1h');
  });
});

describe('argument parsing', () => {
  const parse = (...argv: string[]) => parseInvocation(argv, COMMANDS);

  it('finds the command with global options before or after it', () => {
    const a = parse('--server', 'http://x:1', 'get', 'vs', 'reviews', '-n', 'canary', '-o', 'json');
    expect(a.command?.name).toBe('get');
    expect(a.positionals).toEqual(['vs', 'reviews']);
    expect(a.values).toMatchObject({ server: 'http://x:1', namespace: 'canary', output: 'json' });
  });

  it('finds two-word commands', () => {
    const a = parse('rollout', 'status', '7', '--wait', '2m');
    expect(a.command?.name).toBe('rollout status');
    expect(a.positionals).toEqual(['7']);
    expect(a.values.wait).toBe('2m');
  });

  it('gives a bare --wait its default, at the end or before another option', () => {
    expect(parse('rollback', '3', '--wait').values.wait).toBe('5m');
    expect(parse('status', '--wait', '-o', 'json').values).toMatchObject({ wait: '5m', output: 'json' });
    expect(parse('status', '4', '--wait', '30s').values.wait).toBe('30s');
  });

  it('collects repeated options', () => {
    expect(parse('apply', '-f', 'a.yaml', '-f', 'dir').values.filename).toEqual(['a.yaml', 'dir']);
    expect(parse('bootstrap', '--node', 'n', '--mode', 'rest', '--label', 'a=b', '--label', 'c=d').values.label).toEqual(['a=b', 'c=d']);
  });

  it('treats help and --help alike', () => {
    expect(parse('help', 'rollout', 'start')).toMatchObject({ help: true, command: { name: 'rollout start' } });
    expect(parse('apply', '--help')).toMatchObject({ help: true, command: { name: 'apply' } });
    expect(parse('--version').version).toBe(true);
  });

  it('refuses unknown commands, options, extra arguments and output formats with usage errors', () => {
    const usage = (argv: string[], message: RegExp) => {
      expect(() => parse(...argv)).toThrow(UsageError);
      expect(() => parse(...argv)).toThrow(message);
    };
    usage(['deploy'], /unknown command "deploy"/);
    usage(['rollout', 'restart', '1'], /"rollout" takes start, status, pause, resume, promote, abort/);
    usage(['rollout'], /needs a subcommand/);
    usage(['apply', '--forse'], /--forse/);
    usage(['status', '1', '2'], /unexpected argument "2"/);
    usage(['rollout', 'abort'], /needs 1 argument/);
    usage(['get', 'vs', '-o', 'wider'], /--output must be text, wide, json or yaml/);
  });

  it('lets bootstrap take a file name for -o', () => {
    expect(parse('bootstrap', '--node', 'n', '--mode', 'ads', '-o', 'envoy.yaml').values.output).toBe('envoy.yaml');
  });

  it('reads rollout destinations and steps', () => {
    expect(parseDestination('reviews.x.svc:v2', '--candidate')).toEqual({ host: 'reviews.x.svc', subset: 'v2' });
    expect(parseDestination('reviews.x.svc', '--stable')).toEqual({ host: 'reviews.x.svc' });
    expect(() => parseDestination('a:b:c', '--stable')).toThrow(UsageError);
    expect(parseSteps('10, 25,50,100')).toEqual([10, 25, 50, 100]);
    expect(() => parseSteps('10,x')).toThrow(UsageError);
  });
});

describe('CI identifiers', () => {
  it('prefers XDSFLARE_CI_* over what the CI system exports', () => {
    const env = { GITHUB_ACTIONS: 'true', GITHUB_RUN_ID: '42', GITHUB_REPOSITORY: 'acme/shop', GITHUB_WORKFLOW: 'deploy', GITHUB_SHA: 'abc123', XDSFLARE_CI_RUN_ID: 'mine' };
    expect(ciHeaders(env)).toEqual({ 'x-ci-run-id': 'mine', 'x-ci-pipeline': 'acme/shop/deploy', 'x-ci-commit': 'abc123' });
  });

  it('reads GitLab, Buildkite and Jenkins', () => {
    expect(ciHeaders({ GITLAB_CI: 'true', CI_PIPELINE_ID: '9', CI_PROJECT_PATH: 'g/p', CI_COMMIT_SHA: 'c' })).toEqual({ 'x-ci-run-id': '9', 'x-ci-pipeline': 'g/p', 'x-ci-commit': 'c' });
    expect(ciHeaders({ BUILDKITE: 'true', BUILDKITE_BUILD_ID: 'b-1', BUILDKITE_PIPELINE_SLUG: 'shop', BUILDKITE_COMMIT: 'd' })).toEqual({ 'x-ci-run-id': 'b-1', 'x-ci-pipeline': 'shop', 'x-ci-commit': 'd' });
    expect(ciHeaders({ JENKINS_URL: 'http://j', BUILD_TAG: 'jenkins-shop-12', JOB_NAME: 'shop', GIT_COMMIT: 'e' })).toEqual({ 'x-ci-run-id': 'jenkins-shop-12', 'x-ci-pipeline': 'shop', 'x-ci-commit': 'e' });
  });

  it('sends nothing outside CI', () => {
    expect(ciHeaders({ HOME: '/root' })).toEqual({});
  });
});

describe('manifests', () => {
  it('reads every YAML document, JSON arrays and List items, skipping empty documents', () => {
    const docs = parseManifestText('a: 1\n---\n---\nkind: List\nitems: [{b: 2}, {c: 3}]\n---\n[{d: 4}]\n', 'm.yaml');
    expect(docs.map((d) => [d.object, d.document])).toEqual([
      [{ a: 1 }, 1],
      [{ b: 2 }, 3],
      [{ c: 3 }, 3],
      [{ d: 4 }, 4],
    ]);
  });

  it('refuses invalid YAML and duplicate keys with exit 3, naming the file', () => {
    expect(() => parseManifestText('a: [1', 'x.yaml')).toThrow(/x.yaml: invalid YAML in document 1/);
    try {
      parseManifestText('a: 1\na: 2\n', 'dup.yaml');
      expect.unreachable();
    } catch (err) {
      expect((err as { code: number }).code).toBe(EXIT.refused);
    }
  });

  it('reads a directory recursively in sorted order, only manifest extensions', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'xdsflare-cli-'));
    mkdirSync(join(dir, 'b'));
    writeFileSync(join(dir, 'b', 'two.yml'), 'n: 2\n');
    writeFileSync(join(dir, 'a.yaml'), 'n: 1\n');
    writeFileSync(join(dir, 'c.json'), '[{"n": 3}]');
    writeFileSync(join(dir, 'notes.txt'), 'n: 0\n');
    const docs = await readManifests([dir], '/', async () => 'n: 4\n');
    expect(docs.map((d) => d.object)).toEqual([{ n: 1 }, { n: 2 }, { n: 3 }]);
    expect(docs[1]!.file).toBe(join(dir, 'b', 'two.yml'));
    expect((await readManifests(['-'], '/', async () => 'n: 4\n')).map((d) => d.object)).toEqual([{ n: 4 }]);
    await expect(readManifests([join(dir, 'missing.yaml')], '/', async () => '')).rejects.toThrow(UsageError);
  });

  it('follows symbolic links to files, reads a ConfigMap-style mount once, and refuses links it cannot read rather than skip them', async () => {
    // A skipped file is a silent loss: with --prune its objects would be deleted.
    const root = mkdtempSync(join(tmpdir(), 'xdsflare-cli-'));
    const dir = join(root, 'mesh');
    mkdirSync(join(root, 'shared'));
    writeFileSync(join(root, 'shared', 'common.yaml'), 'n: 2\n');
    mkdirSync(join(dir, '..2026_01_01_00_00_00.1'), { recursive: true });
    writeFileSync(join(dir, 'a.yaml'), 'n: 1\n');
    symlinkSync(join(root, 'shared', 'common.yaml'), join(dir, 'b-common.yaml'));
    // Kubernetes mounts a ConfigMap as <file> -> ..data/<file>, ..data -> ..<timestamp>/ (hidden).
    writeFileSync(join(dir, '..2026_01_01_00_00_00.1', 'c.yaml'), 'n: 3\n');
    symlinkSync('..2026_01_01_00_00_00.1', join(dir, '..data'));
    symlinkSync(join('..data', 'c.yaml'), join(dir, 'c.yaml'));
    mkdirSync(join(dir, '.hidden'));
    writeFileSync(join(dir, '.hidden', 'x.yaml'), 'n: 0\n');
    const docs = await readManifests([dir], '/', async () => '');
    expect(docs.map((d) => d.object)).toEqual([{ n: 1 }, { n: 2 }, { n: 3 }]);

    symlinkSync(join(root, 'nowhere.yaml'), join(dir, 'gone.yaml'));
    await expect(readManifests([dir], '/', async () => '')).rejects.toThrow(/gone\.yaml/);
    rmSync(join(dir, 'gone.yaml'));
    symlinkSync(join(root, 'shared'), join(dir, 'shared'));
    await expect(readManifests([dir], '/', async () => '')).rejects.toThrow(UsageError);
  });

  it("maps a server's [i] path to the file and document", () => {
    const docs = parseManifestText('kind: ServiceEntry\nmetadata: {name: a}\n---\nkind: VirtualService\nmetadata: {name: b}\n', 'm.yaml');
    expect(describeManifestPath(docs)('[1].spec.http[0]')).toBe('[1].spec.http[0] (m.yaml, document 2, VirtualService b)');
    expect(describeManifestPath(docs)('labelSelector')).toBe('labelSelector');
  });
});

describe('exit codes and problems', () => {
  it('maps statuses as the contract says', () => {
    expect([400, 409, 412, 413, 415, 422].map(exitCodeForStatus)).toEqual(Array(6).fill(EXIT.refused));
    expect([401, 403].map(exitCodeForStatus)).toEqual([EXIT.auth, EXIT.auth]);
    expect(exitCodeForStatus(404)).toBe(EXIT.notFound);
    expect([500, 503, 429].map(exitCodeForStatus)).toEqual(Array(3).fill(EXIT.unexpected));
  });

  it('prints the title, detail and each field path of a problem', () => {
    const err = apiError(409, JSON.stringify({ title: 'Conflict', detail: 'inconsistent', errors: [{ path: 'spec.http[0].route[0].destination.subset', message: 'no subset v3', object: 'VirtualService/a/b' }] }));
    expect(err.code).toBe(EXIT.refused);
    expect(err.message).toBe('Conflict (409): inconsistent');
    expect(err.lines).toEqual(['  VirtualService/a/b: spec.http[0].route[0].destination.subset: no subset v3']);
    expect(apiError(502, 'bad gateway').message).toBe('the server answered 502: bad gateway');
  });
});

describe('diffs', () => {
  const vs = (weight: number, labels?: Record<string, string>) => ({
    apiVersion: 'networking.istio.io/v1',
    kind: 'VirtualService',
    metadata: { name: 'r', namespace: 'n', ...(labels ? { labels } : {}), resourceVersion: '3', uid: 'u' },
    spec: { hosts: ['r'], http: [{ route: [{ destination: { host: 'r', subset: 'v1' }, weight }, { destination: { host: 'r', subset: 'v2' }, weight: 100 - weight }] }] },
  });

  it('shows each changed field with its old and new value, ignoring server metadata', () => {
    const patch = patchBetween(vs(90), vs(75, { team: 'a' }));
    expect(formatIntentDiff([{ op: 'updated', kind: 'VirtualService', namespace: 'n', name: 'r', patch }])).toEqual([
      '~ VirtualService n/r (updated)',
      '    + /metadata/labels: {"team":"a"}',
      '    /spec/http/0/route/0/weight: 90 → 75',
      '    /spec/http/0/route/1/weight: 10 → 25',
    ]);
  });

  it('lists rendered resources added, changed and removed per view', () => {
    const before = { 'envoy|mesh': { clusters: [{ name: 'a', x: 1 }, { name: 'b' }], endpoints: [{ cluster_name: 'a', e: 1 }] } };
    const after = { 'envoy|mesh': { clusters: [{ x: 1, name: 'a' }, { name: 'c' }], endpoints: [{ cluster_name: 'a', e: 2 }] }, 'grpc|mesh': { listeners: [{ name: 'l' }] } };
    expect(diffRendered(before, after)).toEqual([
      { view: 'envoy|mesh', type: 'clusters', name: 'c', op: 'added' },
      { view: 'envoy|mesh', type: 'clusters', name: 'b', op: 'removed' },
      { view: 'envoy|mesh', type: 'endpoints', name: 'a', op: 'changed' },
      { view: 'grpc|mesh', type: 'listeners', name: 'l', op: 'added' },
    ]);
  });
});

describe('history and step numbers', () => {
  it('prints a rollout\'s revisions 1-based and its rollback as one, never "step NaN"', () => {
    expect(sourceText({ rollout: '3', step: '0' })).toBe('rollout 3 step 1');
    expect(sourceText({ rollout: '3', step: 'rollback' })).toBe('rollout 3 rollback');
    expect(sourceText({ ciRunId: '7', rollout: '3' })).toBe('run 7 rollout 3');
  });

  it('says when the route no longer holds the rollout\'s weight, and names each step 1-based', () => {
    const r = { id: 3, state: 'progressing', virtualService: { namespace: 'default', name: 'reviews' }, route: 'primary', stable: { host: 'r', subset: 'v1' }, candidate: { host: 'r', subset: 'v2' }, steps: [25, 50, 100], currentStep: 0, weight: 25, history: [{ step: 0, weight: 25, revision: 8, outcome: 'converged', noProxies: true, note: '1 proxy is stale' }], routeNow: { candidateWeight: 10, revision: 9, matches: false } };
    const lines = formatRollout(r);
    expect(lines[0]).toBe('rollout 3: progressing, step 1 of 3, candidate at 25% by this rollout, but the route sends it 10% now');
    expect(lines).toContain("  route now: candidate at 10% since revision 9, written by someone else; the rollout's next step sets its own weight again");
    expect(lines).toContain('  step 1: 25% revision 8 converged (no live proxy)');
    expect(lines).toContain('    1 proxy is stale');
    expect(formatRollout({ ...r, routeNow: { candidateWeight: 25, revision: 8, matches: true } })[0]).toBe('rollout 3: progressing, step 1 of 3, candidate at 25%');
  });
});

describe('contexts', () => {
  const dir = mkdtempSync(join(tmpdir(), 'xdsflare-contexts-'));
  const file = join(dir, 'config.yaml');
  writeFileSync(file, 'current-context: a\ncontexts:\n  a: {server: "http://a:1", token: ta}\n  b: {server: "http://b:1", token: tb}\n');
  const env = (extra: Record<string, string> = {}) => ({ XDSFLARE_CONFIG: file, ...extra });

  it('takes flags, then --context, then XDSFLARE_SERVER/TOKEN, then XDSFLARE_CONTEXT or current-context, then the default', () => {
    expect(resolveTarget({}, env(), 'http://default')).toEqual({ server: 'http://a:1', token: 'ta', context: 'a' });
    expect(resolveTarget({}, env({ XDSFLARE_CONTEXT: 'b' }), 'http://default')).toEqual({ server: 'http://b:1', token: 'tb', context: 'b' });
    expect(resolveTarget({ context: 'b' }, env({ XDSFLARE_SERVER: 'http://env', XDSFLARE_TOKEN: 'te' }), 'http://default')).toEqual({ server: 'http://b:1', token: 'tb', context: 'b' });
    expect(resolveTarget({}, env({ XDSFLARE_SERVER: 'http://env', XDSFLARE_TOKEN: 'te' }), 'http://default')).toMatchObject({ server: 'http://env', token: 'te' });
    expect(resolveTarget({ server: 'http://flag', token: 'tf' }, env(), 'http://default')).toMatchObject({ server: 'http://flag', token: 'tf' });
    expect(resolveTarget({}, { XDSFLARE_CONFIG: join(dir, 'absent.yaml') }, 'http://default')).toEqual({ server: 'http://default' });
  });

  it('never sends a context\'s token to another server', () => {
    expect(resolveTarget({ server: 'http://flag' }, env(), 'http://default')).not.toHaveProperty('token');
    expect(resolveTarget({}, env({ XDSFLARE_SERVER: 'http://env' }), 'http://default')).not.toHaveProperty('token');
  });

  it('refuses an unknown context and a file that is not a config, naming the file', () => {
    expect(() => resolveTarget({ context: 'c' }, env(), 'http://default')).toThrow(/no context "c" in .*config\.yaml \(it has a, b\)/);
    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, 'contexts: [1, 2]\n');
    expect(() => resolveTarget({}, { XDSFLARE_CONFIG: bad }, 'http://default')).toThrow(/bad\.yaml: expected/);
  });
});
