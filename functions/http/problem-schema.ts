import { z } from 'zod';

/** One problem with one field: `path` in the object sent (`spec.http[1].route[0].weight`, `[2].metadata.name` in a manifest). */
export const FieldErrorSchema = z
  .object({
    path: z.string(),
    message: z.string(),
    /** The object it is about (`VirtualService/default/reviews`), when the request held several or the problem lies in another. */
    object: z.string().optional(),
    /** 422 only: the protoc-gen-validate rule of Envoy's protos that the rendered config breaks, and where in the object it comes from. */
    rule: z.string().optional(),
    objectPath: z.string().optional(),
  })
  .meta({ id: 'FieldError' });
export type FieldError = z.infer<typeof FieldErrorSchema>;

/** Every error of the Worker: application/problem+json (RFC 9457), rendered in one place (problemResponse). */
export const ProblemSchema = z
  .looseObject({
    type: z.string().meta({ description: 'A URI naming the kind of problem, e.g. https://xdsflare.dev/problems/bad-request' }),
    title: z.string(),
    status: z.int().min(400).max(599),
    detail: z.string().optional(),
    /** Validation failures: every offending field, by path. */
    errors: z.array(FieldErrorSchema).optional(),
    instance: z.string().meta({ description: 'The request path' }),
    requestId: z.string().meta({ description: 'The x-request-id of this request, for the server log' }),
  })
  .meta({ id: 'Problem', description: 'RFC 9457 problem details; further members may be added (extensions).' });
export type Problem = z.infer<typeof ProblemSchema>;
