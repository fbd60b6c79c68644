import { PREVIEW_HOST_SEPARATOR } from '../intent/preview';

/** Every Envoy resource name this control plane emits, in one place (Istio's conventions). */

/** `outbound|<port>|<subset>|<host>`; the subset part is empty for the whole service. */
export const clusterName = (port: number, subset: string, host: string) => `outbound|${port}|${subset}|${host}`;

/**
 * Istio's SNI for a service subset (BuildDNSSrvSubsetKey), which an AUTO_PASSTHROUGH gateway routes on and
 * names its TLS-free copy of that cluster after: `outbound_.9080_.v1_.reviews.default.svc.cluster.local`.
 */
export const sniClusterName = (port: number, subset: string, host: string) => `outbound_.${port}_.${subset}_.${host}`;
/** The host of an `outbound|port|subset|host` cluster name (undefined for other clusters). */
export const hostOfClusterName = (name: string) => (name.startsWith('outbound|') ? name.split('|').slice(3).join('|') : undefined);

/** Mesh outbound listener for a service port. */
export const meshListenerName = (port: number) => `0.0.0.0_${port}`;

/** Route configuration of a mesh outbound HTTP port. */
export const meshRouteConfigName = (port: number) => `${port}`;

/** Gateway listener for a server port (Istio names gateway listeners the same way). */
export const gatewayListenerName = (port: number) => `0.0.0.0_${port}`;

/** Route configuration of a gateway's HTTP server port. */
export const gatewayRouteConfigName = (port: number) => `http.${port}`;

/** Route configuration of a gateway's HTTPS server: Istio's `https.<port>.<portName>.<gateway>.<namespace>`. */
export const gatewayHttpsRouteConfigName = (port: number, portName: string, gateway: string, namespace: string) => `https.${port}.${portName}.${gateway}.${namespace}`;

/** Virtual host for a host on a port. */
export const virtualHostName = (host: string, port: number) => `${host}:${port}`;

/** The domains a virtual host for a host on a port answers: the bare host and `host:port` (clients that send the port in Host). */
export const virtualHostDomains = (host: string, port: number) => [host, `${host}:${port}`];

/** A preview of one subset (`<subset>---<name>`): its virtual host, domain, and for gRPC its API listener and route configuration. */
export const previewName = (subset: string, name: string) => `${subset}${PREVIEW_HOST_SEPARATOR}${name}`;

/** API listener (proxyless gRPC target) for a host and port: `xds:///<host>:<port>`. */
export const grpcListenerName = (host: string, port?: number) => (port === undefined ? host : `${host}:${port}`);

/** Source reference recorded in the IR and in diagnostics. */
export const sourceRef = (kind: string, namespace: string, name: string) => `${kind}/${namespace}/${name}`;
