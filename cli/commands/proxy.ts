import type { Command } from '../command';
import { EXIT } from '../exit-codes';

const forget: Command = {
  name: 'proxy forget',
  summary: 'Remove a stale proxy from the fleet now (it leaves by itself after STATUS_FORGET_MS).',
  usage: '<node> [<node>...]',
  description: `
A stale proxy (not seen for STATUS_STALE_MS) is waited for by nobody; a proxy not seen for
STATUS_FORGET_MS (10 minutes) leaves the fleet by itself. This removes stale ones at once. A live
proxy is refused (its next poll would bring it back). Needs a token with status:write.
Exit codes: 0 forgotten, 3 the proxy is live, 6 not authorised, 7 no such proxy in the fleet.`,
  options: {},
  positionals: { min: 1, max: 100 },
  async run(ctx, _values, nodes) {
    for (const node of nodes) {
      await ctx.client.request('DELETE', `/api/v1/proxies/${encodeURIComponent(node)}`);
      if (ctx.json) ctx.out(JSON.stringify({ nodeId: node, forgotten: true }));
      else ctx.out(`proxy ${node} forgotten`);
    }
    return EXIT.ok;
  },
};

export const proxyCommands: Command[] = [forget];
