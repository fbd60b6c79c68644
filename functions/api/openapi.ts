import type { RouteDoc } from '../openapi/route-doc';
import { bootstrapRouteDocs } from '../bootstrap/openapi';
import { objectRouteDocs } from './objects-openapi';
import { operationRouteDocs } from './operations-openapi';
import { revisionRouteDocs } from '../history/openapi';

/** Every route of the config API (functions/api/) that this folder serves. */
export const apiRouteDocs: RouteDoc[] = [...objectRouteDocs, ...revisionRouteDocs, ...operationRouteDocs, ...bootstrapRouteDocs];
