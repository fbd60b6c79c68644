import { env, SELF } from 'cloudflare:test';
import { expect, it } from 'vitest';

it('answers /healthz and has a migrated D1', async () => {
  const res = await SELF.fetch('http://edge.test/healthz');
  expect(res.status).toBe(200);
  const row = await env.DB.prepare("select count(*) as n from sqlite_master where name = 'revisions'").first<{ n: number }>();
  expect(row?.n).toBe(1);
});
