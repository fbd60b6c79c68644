import type { GatewayChainPortIR, GatewayFilterChainIR, MeshIR } from '../ir/types';

/**
 * The TLS and TCP ports of the Gateways `keys` a proxy matches, merged by port as HTTP ports are:
 * the first gateway (by key) to take a port, or an SNI name on it, wins; a port some gateway serves
 * as plaintext HTTP (`httpPorts`) stays HTTP. Envoy refuses two chains matching the same names. A port
 * left with no chain gets no listener.
 */
export function mergeGatewayChainPorts(ir: MeshIR, keys: string[], httpPorts: Set<number>, extra: Map<string, GatewayChainPortIR[]> = new Map()): GatewayChainPortIR[] {
  const byPort = new Map<number, { chains: GatewayFilterChainIR[]; taken: Set<string> }>();
  for (const gw of ir.gateways.filter((g) => keys.includes(g.key))) {
    // A gateway's own chains first, then its AUTO_PASSTHROUGH ones (`extra`): an SNI a route names wins.
    for (const p of [...(gw.chainPorts ?? []), ...(extra.get(gw.key) ?? [])]) {
      if (httpPorts.has(p.port)) continue;
      if (!byPort.has(p.port)) byPort.set(p.port, { chains: [], taken: new Set() });
      const port = byPort.get(p.port)!;
      for (const chain of p.chains) {
        const names = chain.serverNames.length ? chain.serverNames : [''];
        if (names.some((n) => port.taken.has(n))) continue;
        for (const n of names) port.taken.add(n);
        port.chains.push(chain);
      }
    }
  }
  return [...byPort]
    .filter(([, { chains }]) => chains.length > 0)
    .sort(([a], [b]) => a - b)
    .map(([port, { chains }]) => ({ port, chains }));
}
