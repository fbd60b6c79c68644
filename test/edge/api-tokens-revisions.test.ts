import { env } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { apply, call, callJson, REVIEWS } from './helpers';

describe('tokens', () => {
  it('are shown once, stored only as SHA-256 hashes, listed without secrets, and revocable', async () => {
    const created = await callJson('POST', '/api/v1/tokens', { body: { name: 'ci-deployer', scopes: ['config:write', 'config:read'] } });
    expect(created.status).toBe(201);
    const token: string = created.body.token;
    expect(token).toMatch(/^xf_[0-9a-f]{48}$/);
    const row = await env.DB.prepare('select hash from tokens where name = ?').bind('ci-deployer').first<{ hash: string }>();
    const digest = [...new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(token)))].map((b) => b.toString(16).padStart(2, '0')).join('');
    expect(row!.hash).toBe(digest);
    const stored = JSON.stringify(await env.DB.prepare('select * from tokens').all());
    expect(stored).not.toContain(token);

    const listed = await callJson('GET', '/api/v1/tokens');
    expect(JSON.stringify(listed.body)).not.toContain(token);
    expect(listed.body.items).toContainEqual(expect.objectContaining({ name: 'ci-deployer', scopes: ['config:write', 'config:read'] }));

    const write = await apply(REVIEWS([80, 20], 'tok'));
    expect(write.status).toBe(201);
    const asCi = await callJson('POST', '/api/v1/apply', { body: REVIEWS([70, 30], 'tok'), token });
    expect(asCi.status).toBe(201);
    expect((await callJson('GET', `/api/v1/revisions/${asCi.body.revision}`)).body.author).toBe('ci-deployer');

    expect((await call('GET', '/api/v1/tokens', { token })).status).toBe(403);
    expect((await call('DELETE', '/api/v1/tokens/ci-deployer')).status).toBe(204);
    expect((await call('GET', '/api/v1/virtualservices', { token })).status).toBe(401);
  });

  it('refuses unknown scopes and bad names, naming the field', async () => {
    const res = await callJson('POST', '/api/v1/tokens', { body: { name: 'Bad Name', scopes: ['root'] } });
    expect(res.status).toBe(400);
    expect(res.body.errors.map((e: any) => e.path).sort()).toEqual(['name', 'scopes.0']);
  });
});

describe('revisions', () => {
  it('lists newest first with paging, and rollback restores an earlier state as a new revision', async () => {
    const r1 = (await apply(REVIEWS([80, 20], 'hist'))).body.revision;
    const r2 = (await apply(REVIEWS([50, 50], 'hist'))).body.revision;
    await callJson('DELETE', '/api/v1/namespaces/hist/virtualservices/reviews');

    const page = await callJson('GET', '/api/v1/revisions?limit=2');
    expect(page.body.items).toHaveLength(2);
    expect(page.body.items[0].revision).toBeGreaterThan(page.body.items[1].revision);
    expect(page.body.next).toMatch(/^\?before=\d+&limit=2$/);

    const back = await callJson('POST', `/api/v1/revisions/${r1}/rollback`);
    expect(back.status).toBe(201);
    expect(back.body).toMatchObject({ committed: true, rolledBackTo: r1 });
    const restored = await callJson('GET', '/api/v1/namespaces/hist/virtualservices/reviews');
    expect(restored.body.spec.http[0].route.map((r: any) => r.weight)).toEqual([80, 20]);
    expect((await callJson('GET', `/api/v1/revisions/${back.body.revision}`)).body.source.rollbackTo).toBe(String(r1));

    const same = await callJson('POST', `/api/v1/revisions/${back.body.revision}/rollback`);
    expect(same.body.committed).toBe(false);
    expect(r2).toBe(r1 + 1);
    expect((await call('POST', '/api/v1/revisions/999999/rollback')).status).toBe(404);
    expect((await callJson('GET', '/api/v1/revisions/abc')).body.errors).toEqual([{ path: 'revision', message: 'expected a positive integer' }]);
  });
});
