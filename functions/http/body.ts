import type { Context } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { ProblemError, unsupportedMediaType } from './problem';

/** Requests are small; a megabyte holds thousands of objects. */
export const MAX_BODY_BYTES = 1024 * 1024;
/**
 * POST /apply takes a whole mesh, so `apply --prune` of a GitOps repository is one atomic revision:
 * 20,000 services are ~20 MB of YAML. Workers accept 100 MB bodies; this leaves room below that.
 */
export const MAX_MANIFEST_BYTES = 64 * 1024 * 1024;

export const limitBody = (maxSize = MAX_BODY_BYTES) =>
  bodyLimit({
    maxSize,
    onError: () => {
      throw new ProblemError({ status: 413, title: 'Content Too Large', detail: `request body exceeds ${maxSize} bytes` });
    },
  });

const JSON_TYPES = /^application\/([a-z.+-]*\+)?json$/;
const YAML_TYPES = /^(application\/(x-)?yaml|text\/(x-)?yaml|application\/[a-z.+-]*\+yaml)$/;

/** The body as text plus its media type (JSON or YAML only; anything else is a 415). */
export async function readTextBody(c: Context, allowed: RegExp[] = [JSON_TYPES, YAML_TYPES]): Promise<{ text: string; mediaType: string }> {
  const mediaType = (c.req.header('content-type') ?? 'application/json').split(';')[0]!.trim().toLowerCase();
  if (!allowed.some((re) => re.test(mediaType))) {
    throw unsupportedMediaType(`content-type ${mediaType} is not accepted here; send application/json or application/yaml`);
  }
    // Decoded by hand: workerd warns when .text() reads a body whose type is not text/* or JSON.
  return { text: new TextDecoder().decode(await c.req.arrayBuffer()), mediaType };
}

/** The request's CI metadata, recorded on the revision it makes (kept small). */
export function requestSource(c: Context): Record<string, string> {
  const source: Record<string, string> = {};
  for (const [header, key] of [
    ['x-ci-run-id', 'ciRunId'],
    ['x-ci-pipeline', 'ciPipeline'],
    ['x-ci-commit', 'ciCommit'],
    ['user-agent', 'userAgent'],
  ] as const) {
    const value = c.req.header(header);
    if (value) source[key] = value.slice(0, 256);
  }
  return source;
}
