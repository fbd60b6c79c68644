import { parseLabels, stringOption } from '../args';
import type { Command } from '../command';
import { EXIT, UsageError } from '../exit-codes';

interface Policy {
  name: string;
  identity: string;
  namespaces: string[];
  gatewaySelectors: Record<string, string>[];
}

const selectorText = (s: Record<string, string>) => Object.entries(s).map(([k, v]) => `${k}=${v}`).join(',');
const policyRow = (p: Policy) => `${p.name}\t${p.identity}\t${p.namespaces.join(',') || '-'}\t${p.gatewaySelectors.map(selectorText).join(' ') || '-'}`;
const path = (name: string) => `/api/v1/identity-policies/${encodeURIComponent(name)}`;

const list: Command = {
  name: 'identity list',
  summary: 'Identity policies: what each workload identity (SPIFFE ID) may receive.',
  usage: '',
  description: `
An identity without a policy may claim its own namespace and no Gateway. Needs config:read.`,
  options: {},
  positionals: { min: 0, max: 0 },
  async run(ctx) {
    const { answer, body } = await ctx.client.json<{ items: Policy[] }>('GET', '/api/v1/identity-policies');
    if (ctx.json) ctx.out(answer.text.trimEnd());
    else ctx.out(['NAME\tIDENTITY\tNAMESPACES\tGATEWAY SELECTORS', ...body.items.map(policyRow)].join('\n'));
    return EXIT.ok;
  },
};

const set: Command = {
  name: 'identity set',
  summary: 'Create or replace the policy of a workload identity.',
  usage: '<name> --identity spiffe://<td>/ns/<ns>/sa/<sa> [--namespace <ns>]... [--gateway-selector k=v[,k=v]]...',
  description: `
Proxies authenticated as the identity (a client certificate at a bridge, or a token created with
--identity) may claim its SPIFFE ID's namespace and each --namespace, and receive the Gateways whose
selector one --gateway-selector satisfies (with their TLS Secrets). Any other claim is refused: 403
for REST pollers, PERMISSION_DENIED over ADS. Needs an admin token.
Exit codes: 0 stored, 2 bad arguments, 3 refused (another policy has the identity), 6 not authorised.`,
  options: {
    identity: { type: 'string', value: '<spiffe-id>', description: 'the SPIFFE ID (required)' },
    namespace: { type: 'string', multiple: true, value: '<ns>', description: 'a namespace its proxies may claim besides its own' },
    'gateway-selector': { type: 'string', multiple: true, value: '<k=v,...>', description: 'the labels of Gateways it may receive' },
  },
  positionals: { min: 1, max: 1 },
  async run(ctx, values, [name]) {
    const gatewaySelectors = ((values['gateway-selector'] as string[] | undefined) ?? []).map((s) => {
      if (!s) throw new UsageError('--gateway-selector takes k=v[,k=v], not an empty string');
      return Object.fromEntries(parseLabels(s.split(','), '--gateway-selector'));
    });
    const body = { identity: stringOption(values, 'identity', true), namespaces: (values.namespace as string[] | undefined) ?? [], gatewaySelectors };
    const { answer, body: stored } = await ctx.client.json<Policy>('PUT', path(name!), { body: JSON.stringify(body) });
    if (ctx.json) ctx.out(answer.text.trimEnd());
    else ctx.out(`identity policy ${stored.name} ${answer.status === 201 ? 'created' : 'replaced'}: ${policyRow(stored)}`);
    return EXIT.ok;
  },
};

const remove: Command = {
  name: 'identity delete',
  summary: 'Delete an identity policy (the identity is back to its own namespace, no Gateway).',
  usage: '<name>',
  description: `
Needs an admin token. Exit codes: 0 deleted, 6 not authorised, 7 no such policy.`,
  options: {},
  positionals: { min: 1, max: 1 },
  async run(ctx, _values, [name]) {
    await ctx.client.request('DELETE', path(name!));
    if (ctx.json) ctx.out(JSON.stringify({ name, deleted: true }));
    else ctx.out(`identity policy ${name} deleted`);
    return EXIT.ok;
  },
};

export const identityCommands: Command[] = [list, set, remove];
