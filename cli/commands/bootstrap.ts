import { writeFile } from 'node:fs/promises';
import { extname, resolve } from 'node:path';
import { parseLabels, stringOption } from '../args';
import type { Command, OptionSpec, Values } from '../command';
import { EXIT, UsageError } from '../exit-codes';
import { warningsOf } from '../problem';

/** The options bootstrap and export share: which node, and what its view depends on. */
export const NODE_OPTIONS: Record<string, OptionSpec> = {
  node: { type: 'string', value: '<id>', description: 'the node id (required)' },
  label: { type: 'string', multiple: true, value: '<k=v>', description: "the node's labels (which Gateway views it gets)" },
  namespace: { type: 'string', short: 'n', value: '<ns>', description: "the node's namespace (exportTo)" },
  locality: { type: 'string', value: '<region/zone/subzone>', description: "the node's locality" },
};

/** The node's query parameters, as GET /api/v1/bootstrap and /export take them. */
export function nodeQuery(values: Values) {
  const labels = parseLabels(values.label as string[] | undefined).map(([k, v]) => `${k}=${v}`);
  return { node: stringOption(values, 'node', true), label: labels, namespace: stringOption(values, 'namespace'), locality: stringOption(values, 'locality') };
}

const MODES = ['rest', 'ads', 'file', 'grpc'];

export const bootstrap: Command = {
  name: 'bootstrap',
  summary: "An Envoy (or proxyless gRPC) bootstrap for a node, ready to run.",
  usage: '--node <id> --mode rest|ads|file|grpc [--label k=v]... [-o json|<file>]',
  description: `
rest: Envoy polls the edge over REST; ads: Envoy streams from the bridge; file: Envoy reads files
that "xdsflare export" writes; grpc: a proxyless gRPC client's bootstrap JSON.
YAML on stdout by default; -o json prints the edge's JSON; -o <file> writes the file (JSON when its
name ends in .json, else YAML).`,
  options: {
    ...NODE_OPTIONS,
    mode: { type: 'string', value: 'rest|ads|file|grpc', description: 'how the node gets its config (required)' },
    cluster: { type: 'string', value: '<name>', description: "the node's cluster" },
    bridge: { type: 'string', value: '<host:port>', description: "ads/grpc: the bridge's address" },
    delta: { type: 'boolean', description: 'ads: the incremental (delta) protocol' },
    dir: { type: 'string', value: '<path>', description: 'file: where the exported files live (absolute)' },
    auth: { type: 'string', value: 'mtls|token|none', description: 'ads/grpc: how the proxy authenticates to the bridge (default: none for a loopback bridge or grpc, else mtls)' },
    'cert-dir': { type: 'string', value: '<path>', description: 'ads/grpc with mtls or token: the directory of tls.crt, tls.key and ca.crt (default /etc/xdsflare/tls)' },
  },
  outputFile: true,
  positionals: { min: 0, max: 0 },
  async run(ctx, values) {
    const mode = stringOption(values, 'mode', true);
    if (!MODES.includes(mode)) throw new UsageError(`--mode must be one of ${MODES.join(', ')}, not "${mode}"`);
    const file = ['text', 'json', 'yaml'].includes(ctx.output) ? undefined : ctx.output;
    const json = ctx.output === 'json' || (file !== undefined && extname(file).toLowerCase() === '.json');
    const dir = stringOption(values, 'dir');
    const answer = await ctx.client.request('GET', '/api/v1/bootstrap', {
      query: { ...nodeQuery(values), mode, cluster: stringOption(values, 'cluster'), bridge: stringOption(values, 'bridge'), delta: values.delta === true, dir: dir && resolve(ctx.cwd, dir), auth: stringOption(values, 'auth'), certDir: stringOption(values, 'cert-dir') },
      accept: json ? 'application/json' : 'application/yaml',
    });
    for (const w of warningsOf(answer.headers)) ctx.err(`warning: ${w}`);
    if (!file) {
      ctx.out(answer.text.trimEnd());
      return EXIT.ok;
    }
    await writeFile(resolve(ctx.cwd, file), answer.text.endsWith('\n') ? answer.text : `${answer.text}\n`);
    ctx.err(`wrote ${file}`);
    return EXIT.ok;
  },
};
