import { Hono } from 'hono';
import type { Env } from '../env';

/** The config API, mounted at /api/v1. */
const api = new Hono<{ Bindings: Env }>();

export default api;
