import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminToken, buildCli, freePort, runCli } from './cli-fixtures';
import { startEdge, type RunningEdge } from '../support/start-server';

// `xdsflare identity` and `bootstrap --auth` (issue 13 part 1): the built CLI against npm start's edge.
let edge: RunningEdge;
let env: Record<string, string>;
const cli = (args: string[]) => runCli(args, { env });
const INGRESS = 'spiffe://cluster.local/ns/gw/sa/ingress';

beforeAll(async () => {
  buildCli();
  edge = await startEdge(await freePort(), { env: { XDSFLARE_NO_BRIDGE: '1' } });
  env = { XDSFLARE_SERVER: edge.base, XDSFLARE_TOKEN: adminToken() };
}, 120_000);
afterAll(async () => {
  await edge?.stop();
});

describe('xdsflare identity', () => {
  it('sets, lists and deletes a policy; refuses a second policy for the identity and bad arguments, naming them', async () => {
    const set = await cli(['identity', 'set', 'ingress', '--identity', INGRESS, '--namespace', 'gw2', '--gateway-selector', 'istio=ingressgateway,tier=edge']);
    expect(set, set.stderr).toMatchObject({ code: 0, stdout: expect.stringContaining('identity policy ingress created') });
    const listed = await cli(['identity', 'list']);
    expect(listed.stdout).toMatch(new RegExp(`^ingress\\t${INGRESS}\\tgw2\\tistio=ingressgateway,tier=edge$`, 'm'));
    const json = JSON.parse((await cli(['identity', 'list', '-o', 'json'])).stdout);
    expect(json.items[0]).toMatchObject({ name: 'ingress', gatewaySelectors: [{ istio: 'ingressgateway', tier: 'edge' }] });

    const taken = await cli(['identity', 'set', 'other', '--identity', INGRESS]);
    expect(taken.code).toBe(3);
    expect(taken.stderr).toMatch(/identity/);
    const bad = await cli(['identity', 'set', 'bad', '--identity', 'spiffe://x/y']);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/identity/);
    expect((await cli(['identity', 'set', 'bad', '--identity', INGRESS, '--gateway-selector', 'novalue'])).stderr).toMatch(/--gateway-selector takes key=value/);

    expect((await cli(['identity', 'delete', 'ingress'])).stdout).toMatch(/identity policy ingress deleted/);
    expect((await cli(['identity', 'delete', 'ingress'])).code).toBe(7);
  }, 60_000);

  it('bootstrap --auth token: TLS to the bridge and a placeholder bearer token, warned on stderr', async () => {
    const res = await cli(['bootstrap', '--node', 'gw-1', '--mode', 'ads', '--bridge', 'xdsflare-bridge.xdsflare-system.svc', '--auth', 'token', '--cert-dir', '/run/tls', '-o', 'json']);
    expect(res.code, res.stderr).toBe(0);
    const b = JSON.parse(res.stdout);
    expect(b.dynamic_resources.ads_config.grpc_services[0].initial_metadata[0].key).toBe('authorization');
    expect(b.static_resources.clusters[0].transport_socket.typed_config.common_tls_context.validation_context.trusted_ca.filename).toBe('/run/tls/ca.crt');
    expect(res.stderr).toMatch(/warning: .*placeholder/);
  }, 30_000);
});
