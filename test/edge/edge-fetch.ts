import { createExecutionContext, env, waitOnExecutionContext } from 'cloudflare:test';
import { app } from '../../functions/index';

/**
 * Calls the Worker's fetch handler directly with an env of our choosing (counting or failing bindings,
 * other settings), waiting for its background work (the status flush). SELF.fetch cannot change the env.
 */
export async function edgeFetch(req: Request, overrides: Partial<typeof env> = {}): Promise<Response> {
  const ctx = createExecutionContext();
  const res = await app.fetch(req, { ...env, ...overrides }, ctx);
  await waitOnExecutionContext(ctx);
  return res;
}
