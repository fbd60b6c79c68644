import { Hono } from 'hono';
import type { Env } from '../env';
import { requireScope, type AuthVariables } from '../http/require-scope';
import { collectMetrics } from './collect';
import { EXPOSITION_CONTENT_TYPE, exposition } from './exposition';

/** GET /metrics: the edge's state for Prometheus, computed from D1 at each scrape (metrics:read). */
const app = new Hono<{ Bindings: Env; Variables: AuthVariables }>();

app.get('/metrics', requireScope('metrics:read'), async (c) => c.body(exposition(await collectMetrics(c.env)), 200, { 'content-type': EXPOSITION_CONTENT_TYPE, 'cache-control': 'no-store' }));

export default app;
