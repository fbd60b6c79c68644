import ipaddr from 'ipaddr.js';

/**
 * Where the edge may send a request of a user's choosing: a webhook's POST (WEBHOOK_ALLOW_PRIVATE_TARGETS),
 * a rollout analysis query (ANALYSIS_ALLOW_PRIVATE_TARGETS). The edge must not be a way into the
 * networks it runs beside (SSRF): an address literal in a range that is not the public internet, or a
 * `localhost` name, is refused unless the caller's setting allows it (local dev and tests, whose
 * receivers listen on loopback).
 *
 * Only the URL is screened, at registration and again before every attempt (the setting may have
 * changed since). A Worker cannot see what a name resolves to: fetch() resolves it, and exposes no
 * socket address, so a public name that resolves to a private address (or is rebound to one) is not
 * caught here. On Cloudflare that fetch leaves from Cloudflare's network, which has no route into
 * yours; a Worker run elsewhere (wrangler dev on a host) has, so keep the setting off there too.
 */

/** Who asks, for the messages: what goes where, and the setting that allows private targets. */
export interface TargetUse {
  what: string;
  setting: string;
}
export const WEBHOOK_TARGETS: TargetUse = { what: 'webhooks go to public receivers', setting: 'WEBHOOK_ALLOW_PRIVATE_TARGETS' };

/** Why `url` may not be a target, or undefined when it may. */
export function targetProblem(url: string, allowPrivate: boolean, use: TargetUse = WEBHOOK_TARGETS): string | undefined {
  if (allowPrivate) return undefined;
  let host: string;
  try {
    host = new URL(url).hostname.toLowerCase().replace(/\.$/, '');
  } catch {
    return 'not a URL';
  }
  if (host === 'localhost' || host.endsWith('.localhost')) return `"${host}" names this host (loopback); ${use.what} (${use.setting} allows it, for local use)`;
  const literal = host.startsWith('[') ? host.slice(1, -1) : host;
  if (!ipaddr.isValid(literal)) return undefined;
  // ipaddr.js (maintained, no dependencies, runs in Workers) knows the ranges; an IPv4-mapped IPv6
  // address is judged by the IPv4 address inside, other embeddings (6to4, NAT64) are not 'unicast'.
  const parsed = ipaddr.parse(literal);
  const address = parsed instanceof ipaddr.IPv6 && parsed.isIPv4MappedAddress() ? parsed.toIPv4Address() : parsed;
  const range = address.range();
  if (range === 'unicast') return undefined;
  return `${address.toString()} is a ${range} address, not a public one (loopback, private, link-local such as the 169.254.169.254 metadata service, unique-local, and other reserved ranges are refused; ${use.setting} allows them, for local use)`;
}
