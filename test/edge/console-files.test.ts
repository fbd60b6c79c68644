import { SELF } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { BASE, callJson } from './helpers';

// The web console's files as the Worker serves them from its static assets (wrangler.toml [assets],
// built by scripts/build-console.mjs, which vitest.config.ts runs): the page, its script and style
// sheet, each with the console's Content-Security-Policy; the browser test (test/e2e/console) uses them.
describe('the web console files', () => {
  it('serves the page at / without a token, with a CSP that allows this origin only and no inline script', async () => {
    const res = await SELF.fetch(`${BASE}/`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    const csp = res.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("connect-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toContain('unsafe-inline');
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    const html = await res.text();
    expect(html).toContain('<script type="module" src="/console/app.js"></script>');
    // Every script is a file of this origin: no inline code, nothing from a CDN.
    expect([...html.matchAll(/<script\b[^>]*>([\s\S]*?)<\/script>/g)].map((m) => m[1]!.trim())).toEqual(['']);
    expect(html).not.toMatch(/(src|href)="(https?:)?\/\//);
  });

  it('serves the script and the style sheet under /console/, revalidated by ETag', async () => {
    const js = await SELF.fetch(`${BASE}/console/app.js`);
    expect(js.status).toBe(200);
    expect(js.headers.get('content-type')).toMatch(/javascript/);
    expect(js.headers.get('cache-control')).toBe('no-cache');
    expect(js.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect((await js.text()).length).toBeGreaterThan(1000);
    const etag = js.headers.get('etag');
    expect(etag).toBeTruthy();
    const again = await SELF.fetch(`${BASE}/console/app.js`, { headers: { 'if-none-match': etag! } });
    expect(again.status).toBe(304);
    await again.body?.cancel();

    const css = await SELF.fetch(`${BASE}/console/app.css`);
    expect(css.status).toBe(200);
    expect(css.headers.get('content-type')).toMatch(/^text\/css/);
    await css.body?.cancel();
  });

  it('answers a file that is not the console’s with the API’s 404 problem, and leaves the API as it was', async () => {
    for (const path of ['/console/missing.js', '/console/../wrangler.toml', '/console/index.html', '/index.html', '/app.js']) {
      const { status, headers } = await callJson('GET', path, { token: null });
      expect(status, path).toBe(404);
      expect(headers.get('content-type'), path).toMatch(/^application\/problem\+json/);
    }
    expect((await callJson('GET', '/api/v1/revisions', { token: null })).status).toBe(401);
  });
});
