import { buildExportFiles, checkConsistency, fileNameOf, FILE_SUBSCRIPTION_DIRS, SECRET_TYPE_URL, selectView, viewKey, type BootstrapNode, type ExportFile } from '../../xds';
import { sdsNamesOf } from '../../xds/secrets/references';
import type { Env } from '../env';
import { ProblemError } from '../http/problem';
import { secretsForView } from '../domain/secrets/view-secrets';
import { renderedViewOf, secretStateOf, type CachedConfig } from '../domain/config/config-cache';
import type { Export } from './schemas';

export type ExportResult = Export & { files: ExportFile[] };

/**
 * A node's view as the files Envoy's filesystem subscription reads from `dir`, in write order. The
 * SDS secrets the view references come first (clusters and listeners warm on them), and only for a
 * caller allowed to read secrets; otherwise they are left out and a warning names them.
 */
export async function exportView(env: Env, config: CachedConfig, node: BootstrapNode, dir: string, withSecrets: boolean): Promise<ExportResult> {
  // The filesystem subscription is Envoy's: render the Envoy view, never the gRPC one.
  const view = selectView(config.selector, { ...node, userAgentName: 'envoy' });
  // Files are no published variant: the export translates (an operator's call, not a poll).
  const snapshot = await renderedViewOf(env, config, view, { mode: 'file', dir });
  const problems = checkConsistency(snapshot);
  // Every write checked this view's config; failing now is a translator bug, not the caller's.
  if (problems.length) throw new ProblemError({ status: 500, title: 'Internal Server Error', detail: `the rendered view is inconsistent: ${problems[0]}` });
  const warnings: string[] = [];
  const secretFiles: ExportFile[] = [];
  const sdsNames = sdsNamesOf(snapshot);
  if (sdsNames.length && !withSecrets) {
    warnings.push(`the view references SDS secrets (${sdsNames.join(', ')}); they are not exported without scope secrets:read: write ${FILE_SUBSCRIPTION_DIRS.secrets}/<name>.json yourself or export with such a token`);
  } else {
    const secrets = await secretStateOf(env, config);
    for (const name of sdsNames) {
      const served = await secretsForView(env, secrets, view, sdsNames, [name]);
      if (!served.resources.length) {
        warnings.push(`SDS secret ${name} has no stored Secret to export`);
        continue;
      }
      secretFiles.push({ name: `${FILE_SUBSCRIPTION_DIRS.secrets}/${fileNameOf(name)}`, content: { version_info: served.version, type_url: SECRET_TYPE_URL, resources: served.resources } });
    }
  }
  return { revision: config.revision, view: viewKey(view), dir, files: [...secretFiles, ...buildExportFiles(snapshot)], warnings };
}
