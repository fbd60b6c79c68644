import { parseSpiffeId } from '../../xds';

/** How a bearer token sent on an ADS stream was judged. */
export type TokenVerdict = { ok: true; identity: string; name: string } | { ok: false; code: 'unauthenticated' | 'permission_denied' | 'unavailable'; error: string };

export interface TokenIdentitiesOptions {
  edgeUrl: string;
  trustDomain: string;
  requestTimeoutMs: number;
  fetch?: typeof fetch;
  /** How long a verdict is reused; a revoked token stops opening streams after at most this long. */
  cacheMs?: number;
}

const WHOAMI_PATH = '/api/v1/whoami';
const MAX_CACHED = 10_000;

/**
 * Resolves the tokens ADS clients present (`authorization: Bearer …` metadata) to the identity each is
 * bound to, by asking the edge with that very token (GET /api/v1/whoami): tokens, their scopes and their
 * revocation stay the edge's alone, and the bridge holds no token list. Verdicts are cached briefly, so a
 * reconnecting fleet costs one request per token, not per stream; an unreachable edge is not cached.
 */
export class TokenIdentities {
  private readonly cache = new Map<string, { verdict: TokenVerdict; until: number }>();

  constructor(private readonly o: TokenIdentitiesOptions) {}

  async verify(token: string, now = Date.now()): Promise<TokenVerdict> {
    const hit = this.cache.get(token);
    if (hit && hit.until > now) return hit.verdict;
    const verdict = await this.ask(token);
    if (verdict.ok || verdict.code !== 'unavailable') {
      if (this.cache.size >= MAX_CACHED) this.cache.clear();
      this.cache.set(token, { verdict, until: now + (this.o.cacheMs ?? 10_000) });
    }
    return verdict;
  }

  private async ask(token: string): Promise<TokenVerdict> {
    let res: Response;
    try {
      res = await (this.o.fetch ?? fetch)(new URL(WHOAMI_PATH, this.o.edgeUrl), { headers: { authorization: `Bearer ${token}` }, signal: AbortSignal.timeout(this.o.requestTimeoutMs) });
    } catch (err) {
      return { ok: false, code: 'unavailable', error: `cannot check the token with the edge: ${err instanceof Error ? err.message : String(err)}` };
    }
    const body = (await res.json().catch(() => undefined)) as { name?: unknown; identity?: unknown; detail?: unknown } | undefined;
    if (res.status === 401) return { ok: false, code: 'unauthenticated', error: `the edge refused the token: ${String(body?.detail ?? 'invalid token')}` };
    if (res.status === 403) return { ok: false, code: 'permission_denied', error: `the edge refused the token: ${String(body?.detail ?? 'it lacks scope xds:read')}` };
    if (!res.ok || typeof body?.name !== 'string') return { ok: false, code: 'unavailable', error: `the edge answered ${res.status} checking the token` };
    if (typeof body.identity !== 'string') return { ok: false, code: 'permission_denied', error: `token "${body.name}" is not bound to a workload identity (create it with one)` };
    const id = parseSpiffeId(body.identity);
    if (!id.ok || id.id.trustDomain !== this.o.trustDomain) return { ok: false, code: 'permission_denied', error: `token "${body.name}" is bound to ${body.identity}, not an identity of trust domain ${this.o.trustDomain}` };
    return { ok: true, identity: id.id.uri, name: body.name };
  }
}
