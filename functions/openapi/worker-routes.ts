import { z } from 'zod';
import type { RouteDoc } from './route-doc';

/** The Worker's own routes (functions/app.ts): health and this document. */

export const HealthSchema = z.object({ status: z.literal('ok') }).meta({ id: 'Health' });

export const workerRouteDocs: RouteDoc[] = [
  {
    method: 'get',
    path: '/healthz',
    operationId: 'health',
    summary: 'Liveness: the Worker answers',
    tags: ['Operations'],
    scope: null,
    responses: { 200: { description: 'Alive', schema: HealthSchema } },
  },
  {
    method: 'get',
    path: '/openapi.json',
    operationId: 'openapi',
    summary: 'This document (OpenAPI 3.1), generated from the zod schemas the handlers parse with',
    tags: ['Operations'],
    scope: null,
    responses: { 200: { description: 'The OpenAPI document', schema: z.looseObject({ openapi: z.string(), info: z.looseObject({}), paths: z.record(z.string(), z.unknown()) }) } },
  },
];
