import type { HostPort } from './types';

const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;
const IPV6 = /^[0-9a-fA-F:.]*:[0-9a-fA-F:.]*$/;
// A DNS name (labels of letters, digits and hyphens), as Envoy resolves it.
const DNS_NAME = /^(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.?$/;

export const isIpAddress = (host: string) => IPV4.test(host) || IPV6.test(host);

export interface HostPortOptions {
  /** Accept port 0, "any free port" (a listen address); otherwise ports are 1–65535. */
  anyPort?: boolean;
}

/**
 * `host[:port]`, `[v6]:port` → host and port (`defaultPort` when absent; without one the port is
 * required), or undefined when it is not one: only IP addresses and DNS names.
 */
export function parseHostPort(text: string, defaultPort?: number, { anyPort = false }: HostPortOptions = {}): HostPort | undefined {
  const m = /^\[([^\]]+)\](?::(\d{1,5}))?$/.exec(text) ?? /^([^:[\]]+)(?::(\d{1,5}))?$/.exec(text);
  if (!m) return undefined;
  const [, host = '', rawPort] = m;
  const bracketed = text.startsWith('[');
  if (bracketed ? !IPV6.test(host) : !(IPV4.test(host) || DNS_NAME.test(host))) return undefined;
  const port = rawPort === undefined ? defaultPort : Number(rawPort);
  if (port === undefined || !Number.isInteger(port) || port < (anyPort ? 0 : 1) || port > 65535) return undefined;
  return { host, port };
}

/** `host:port` again, IPv6 in brackets (a gRPC target). */
export const formatHostPort = ({ host, port }: HostPort) => (host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`);
