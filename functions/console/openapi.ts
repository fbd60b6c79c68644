import { z } from 'zod';
import { ProblemSchema } from '../http/problem-schema';
import type { RouteDoc } from '../openapi/route-doc';

/** The web console's routes (functions/console/serve.ts): the page and its files, without a token. */
export const consoleRouteDocs: RouteDoc[] = [
  {
    method: 'get',
    path: '/',
    operationId: 'console',
    summary: 'The web console (HTML): services and splits, proxies, history with rollback, rollouts',
    description: 'Asks for an API token and keeps it in the tab (sessionStorage); calls /api/v1 with it as a Bearer token. Served with a Content-Security-Policy that allows this origin only.',
    tags: ['Console'],
    scope: null,
    responses: { 200: { description: 'The console page', contentType: 'text/html' } },
  },
  {
    method: 'get',
    path: '/console/{file}',
    operationId: 'consoleFile',
    summary: "The console's script, style sheet and icon",
    tags: ['Console'],
    scope: null,
    params: z.object({ file: z.string().regex(/^[a-z0-9-]+\.(js|css|svg)$/).describe('e.g. app.js') }),
    responses: { 200: { description: 'The file' }, 404: { description: 'No such file', schema: ProblemSchema } },
  },
];
