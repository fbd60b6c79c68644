import { describe, expect, it } from 'vitest';
import { buildEnvoyBootstrap, parseHostPort } from '..';
import { envoyRegistry } from '../../test/support/envoy-registry';
import { clusterName } from '../envoy/names';
import { CLUSTER_NAME_TAG_REGEX, DEFAULT_TAGS_KEPT } from './stats-tags';

// Envoy runs stats_tags regexes as std::regex ECMAScript; JavaScript's RegExp is ECMAScript too, and this
// one uses nothing where the two differ (lazy quantifiers, a lookahead). Envoy's extraction: group 1 is
// cut out of the stat name, group 2 is the tag's value.
function extract(stat: string): { name: string; tag?: string } {
  const m = new RegExp(CLUSTER_NAME_TAG_REGEX).exec(stat);
  if (!m) return { name: stat };
  return { name: stat.slice(0, m.index + m[0].indexOf(m[1]!)) + stat.slice(m.index + m[0].indexOf(m[1]!) + m[1]!.length), tag: m[2] };
}

describe("the bootstrap's cluster_name stats tag", () => {
  const reviews = 'outbound|9080|v2|reviews.default.svc.cluster.local';

  it('keeps the dotted names this project renders whole, and leaves the metric names the templates query', () => {
    // The name as the translator renders it, not a copy of its format.
    expect(clusterName(9080, 'v2', 'reviews.default.svc.cluster.local')).toBe(reviews);
    const cases: [string, string][] = [
      ['upstream_rq_xx', 'cluster.upstream_rq_xx'],
      ['upstream_rq_time', 'cluster.upstream_rq_time'],
      ['upstream_rq_200', 'cluster.upstream_rq_200'],
      ['upstream_cx_total', 'cluster.upstream_cx_total'],
      ['circuit_breakers.default.cx_open', 'cluster.circuit_breakers.default.cx_open'],
      ['outlier_detection.ejections_active', 'cluster.outlier_detection.ejections_active'],
      ['internal.upstream_rq_2xx', 'cluster.internal.upstream_rq_2xx'],
      ['zone.eu-a.eu-b.upstream_rq_2xx', 'cluster.zone.eu-a.eu-b.upstream_rq_2xx'],
      ['ssl.handshake', 'cluster.ssl.handshake'],
      ['ssl.ciphers.ECDHE-RSA-AES128-GCM-SHA256', 'cluster.ssl.ciphers.ECDHE-RSA-AES128-GCM-SHA256'],
      ['http2.rx_reset', 'cluster.http2.rx_reset'],
      ['version', 'cluster.version'],
    ];
    for (const [stat, rest] of cases) expect(extract(`cluster.${reviews}.${stat}`), stat).toEqual({ name: rest, tag: reviews });
  });

  it('is not fooled by host labels that look like sub-scopes, and tags names without dots or pipes', () => {
    for (const host of ['reviews.canary.svc.cluster.local', 'reviews.internal.svc.cluster.local', 'ssl.example.com', 'zone.example.com', 'http2.example.com', 'api.version.example.com']) {
      const name = `outbound|443|v1|${host}`;
      expect(extract(`cluster.${name}.upstream_rq_xx`), host).toEqual({ name: 'cluster.upstream_rq_xx', tag: name });
    }
    expect(extract('cluster.outbound|443||api.facebook.com.upstream_rq_retry')).toEqual({ name: 'cluster.upstream_rq_retry', tag: 'outbound|443||api.facebook.com' });
    expect(extract('cluster.xdsflare.upstream_cx_active')).toEqual({ name: 'cluster.upstream_cx_active', tag: 'xdsflare' });
    // Not a cluster stat: untouched.
    expect(extract('http.inbound_0.0.0.0_9080.downstream_rq_total')).toEqual({ name: 'http.inbound_0.0.0.0_9080.downstream_rq_total' });
  });

  it('is in every Envoy bootstrap, decoded strictly, with the default tags turned off and the others kept by name', () => {
    const node = { id: 'n', labels: {} };
    const all = [
      buildEnvoyBootstrap({ mode: 'rest', node, authority: 'xds.example.com', tls: true, refreshDelay: '1s', requestTimeout: '5s' }),
      buildEnvoyBootstrap({ mode: 'ads', node, bridge: parseHostPort('bridge:18000')!, delta: false }),
      buildEnvoyBootstrap({ mode: 'file', node, dir: '/etc/envoy/xds' }),
    ];
    for (const b of all) {
      // Unknown fields or wrong types throw, naming the field.
      envoyRegistry().decodeStrict({ '@type': 'type.googleapis.com/envoy.config.bootstrap.v3.Bootstrap', ...b });
      const decoded = b as any;
      expect(decoded.stats_config.use_all_default_tags).toBe(false);
      expect(decoded.stats_config.stats_tags[0]).toEqual({ tag_name: 'envoy.cluster_name', regex: CLUSTER_NAME_TAG_REGEX });
      expect(decoded.stats_config.stats_tags.slice(1).map((t: any) => t.tag_name)).toEqual([...DEFAULT_TAGS_KEPT]);
      // Each kept default has no regex of ours (Envoy's own is used) and no tag is named twice.
      expect(decoded.stats_config.stats_tags.slice(1).every((t: any) => t.regex === undefined)).toBe(true);
      expect(new Set(decoded.stats_config.stats_tags.map((t: any) => t.tag_name)).size).toBe(decoded.stats_config.stats_tags.length);
    }
  });
});
