import { Hono } from 'hono';
import type { AuthVariables } from '../auth/require-scope';
import type { Env } from '../env';
import apply from './apply';
import configDump from './config-dump';
import objects from './objects';
import proxies from './proxies';
import revisions from './revisions';
import tokens from './tokens';

/** The config API, mounted at /api/v1. */
const api = new Hono<{ Bindings: Env; Variables: AuthVariables }>();
api.route('/', apply);
api.route('/', revisions);
api.route('/', tokens);
api.route('/', proxies);
api.route('/', configDump);
api.route('/', objects);

export default api;
