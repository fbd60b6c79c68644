import { resolve } from 'node:path';
import { stringOption } from '../args';
import type { Command } from '../command';
import { EXIT } from '../exit-codes';
import { writeExport } from '../export-files';
import { NODE_OPTIONS, nodeQuery } from './bootstrap';

interface ExportAnswer {
  revision: number;
  dir: string;
  files: { name: string; content: unknown }[];
  warnings?: string[];
}

export const exportCommand: Command = {
  name: 'export',
  summary: "Write a node's config as files for Envoy's filesystem subscription (path_config_source).",
  usage: '--node <id> --dir <dir> [--label k=v]...',
  description: `
Each file is written to a temporary name and renamed into place, as Envoy's file watcher requires,
endpoints and routes before the clusters and listeners that reference them. Pair it with
"xdsflare bootstrap --mode file --dir <dir>"; run it again after each change. With -o json it prints
what it wrote ({revision, dir, written, unchanged, removed, warnings}), never the files' contents.`,
  options: {
    ...NODE_OPTIONS,
    dir: { type: 'string', value: '<dir>', description: 'where to write the files (required)' },
  },
  positionals: { min: 0, max: 0 },
  async run(ctx, values) {
    const dir = resolve(ctx.cwd, stringOption(values, 'dir', true));
    const { body } = await ctx.client.json<ExportAnswer>('GET', '/api/v1/export', { query: { ...nodeQuery(values), dir } });
    for (const w of body.warnings ?? []) ctx.err(`warning: ${w}`);
    const result = await writeExport(dir, body.files);
    // Not the edge's answer: its sds/ files hold private keys, and CI logs keep what a job prints.
    if (ctx.json) ctx.out(JSON.stringify({ revision: body.revision, dir, ...result, warnings: body.warnings ?? [] }));
    else {
      for (const name of result.written) ctx.out(`wrote ${name}`);
      for (const name of result.removed) ctx.out(`removed ${name}`);
      ctx.out(`${dir}: revision ${body.revision}, ${result.written.length} written, ${result.unchanged.length} unchanged, ${result.removed.length} removed`);
    }
    return EXIT.ok;
  },
};
