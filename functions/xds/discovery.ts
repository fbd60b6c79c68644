import { Hono } from 'hono';
import type { Env } from '../env';

/** REST-JSON xDS: POST /v3/discovery:<type>. */
const discovery = new Hono<{ Bindings: Env }>();

export default discovery;
