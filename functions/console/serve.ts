import { Hono, type Context } from 'hono';
import type { Env } from '../env';
import { notFound } from '../http/problem';

/**
 * The web console's page and files, from the Worker's static assets (wrangler.toml [assets], built by
 * scripts/build-console.mjs from console/). The Worker runs first for every request, so each answer gets
 * the console's security headers here rather than from an asset-side _headers file. No token: the files
 * hold nothing secret; the page asks for one and calls /api/v1 with it, as any client does.
 */

/**
 * Same origin only, no inline script or style (the page has none, and an injected one would not run),
 * no framing, no plugins. `connect-src 'self'`: the page talks to this edge's API alone.
 */
export const CONSOLE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

const SECURITY_HEADERS: Record<string, string> = {
  'content-security-policy': CONSOLE_CSP,
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cross-origin-opener-policy': 'same-origin',
};

/** The files the build writes beside index.html; anything else under /console/ is the app's 404. */
const CONSOLE_FILE = /^[a-z0-9-]+\.(js|css|svg)$/;

async function fromAssets(c: Context<{ Bindings: Env }>, assetPath: string): Promise<Response> {
  // Pass validators through, so an unchanged file is a 304.
  const headers = new Headers();
  const ifNoneMatch = c.req.header('if-none-match');
  if (ifNoneMatch) headers.set('if-none-match', ifNoneMatch);
  const asset = await c.env.ASSETS.fetch(new Request(new URL(assetPath, c.req.url), { headers }));
  if (asset.status === 404) throw notFound(`no console file ${c.req.path}`);
  const out: Record<string, string> = { ...SECURITY_HEADERS, 'cache-control': 'no-cache' };
  for (const name of ['content-type', 'etag', 'last-modified']) {
    const value = asset.headers.get(name);
    if (value) out[name] = value;
  }
  // Names are not content-hashed: 'no-cache' revalidates each load (a 304 by ETag), so a deploy shows at once.
  return asset.status === 304 ? c.body(null, 304, out) : c.body(asset.body ?? '', 200, out);
}

const app = new Hono<{ Bindings: Env }>();

app.get('/', (c) => fromAssets(c, '/'));
app.get('/console/:file', (c) => {
  const file = c.req.param('file');
  if (!CONSOLE_FILE.test(file)) throw notFound(`no console file ${c.req.path}`);
  return fromAssets(c, `/${file}`);
});

export default app;
