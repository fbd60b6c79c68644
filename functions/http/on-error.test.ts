import { Hono } from 'hono';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { DomainError } from '../domain/errors';
import type { Env } from '../env';
import { settings } from '../settings';
import { onError } from './on-error';

const answer = async (fail: () => never) => {
  const app = new Hono().onError(onError);
  app.get('/x', () => fail());
  const res = await app.request('/x');
  return { status: res.status, retryAfter: res.headers.get('retry-after'), type: res.headers.get('content-type'), body: (await res.json()) as Record<string, unknown> };
};

describe('the error boundary', () => {
  afterEach(() => vi.restoreAllMocks());

  it('answers a domain error by its reason, with the detail and the offending fields', async () => {
    const fields = [{ path: 'spec.http[0]', message: 'no such host', object: 'VirtualService/default/reviews' }];
    const res = await answer(() => {
      throw new DomainError('inconsistent', 'the resulting configuration is inconsistent; nothing was stored', fields);
    });
    expect(res).toMatchObject({ status: 409, type: 'application/problem+json', retryAfter: null });
    expect(res.body).toMatchObject({ type: 'https://xdsflare.dev/problems/conflict', title: 'Conflict', status: 409, detail: 'the resulting configuration is inconsistent; nothing was stored', errors: fields });
  });

  it.each([
    ['not-found', 404, 'Not Found', null],
    ['precondition-failed', 412, 'Precondition Failed', null],
    ['already-exists', 412, 'Precondition Failed', null],
    ['revision-taken', 409, 'Conflict', null],
    ['invalid-envoy-config', 422, 'Unprocessable Content', null],
    ['config-unavailable', 503, 'Service Unavailable', '1'],
    ['secrets-key-missing', 503, 'Service Unavailable', '1'],
    ['secrets-key-malformed', 500, 'Internal Server Error', null],
    ['secret-unreadable', 503, 'Service Unavailable', '1'],
  ] as const)('answers %s with %i %s', async (reason, status, title, retryAfter) => {
    const res = await answer(() => {
      throw new DomainError(reason, `what happened (${reason})`);
    });
    expect(res).toMatchObject({ status, retryAfter });
    expect(res.body).toMatchObject({ title, status, detail: `what happened (${reason})` });
    expect(res.body).not.toHaveProperty('errors');
  });

  it('answers a malformed setting with a 500 naming it, and logs it', async () => {
    const log = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    const res = await answer(() => {
      settings({ XDS_REFRESH_DELAY: 'abc' } as unknown as Env);
      throw new Error('unreachable');
    });
    expect(res).toMatchObject({ status: 500, body: { title: 'Internal Server Error', detail: 'XDS_REFRESH_DELAY="abc" is not a duration such as "1s"' } });
    expect(log).toHaveBeenCalledWith(expect.stringContaining('XDS_REFRESH_DELAY=\\"abc\\" is not a duration'));
  });
});
