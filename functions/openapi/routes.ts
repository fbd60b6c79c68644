import { apiRouteDocs } from '../api/openapi';
import { webhookRouteDocs } from '../events/openapi';
import { rolloutRoutes } from '../rollouts/openapi';
import { secretRouteDocs } from '../secrets/openapi';
import { xdsRouteDocs } from '../discovery/openapi';
import { operationsRouteDocs } from './openapi';
import type { RouteDoc } from './route-doc';

/** Every feature's routes: add a folder's `openapi.ts` here (the OpenAPI test fails on an undocumented route). */
export const ROUTE_DOCS: readonly RouteDoc[] = [...operationsRouteDocs, ...apiRouteDocs, ...rolloutRoutes, ...secretRouteDocs, ...webhookRouteDocs, ...xdsRouteDocs];
