/**
 * CI identifiers for the revision's source: XDSFLARE_CI_RUN_ID, XDSFLARE_CI_PIPELINE and
 * XDSFLARE_CI_COMMIT when set, else what well-known CI systems export. Sent as x-ci-run-id,
 * x-ci-pipeline and x-ci-commit on every request; the edge records them on each revision.
 */
type Env = Record<string, string | undefined>;

interface CiIds {
  runId?: string;
  pipeline?: string;
  commit?: string;
}

/** Each system's run id, pipeline (repository/workflow or job) and commit, in order of precedence. */
const SYSTEMS: ((env: Env) => CiIds | undefined)[] = [
  (e) => e.GITHUB_ACTIONS || e.GITHUB_RUN_ID
    ? { runId: e.GITHUB_RUN_ID, pipeline: [e.GITHUB_REPOSITORY, e.GITHUB_WORKFLOW].filter(Boolean).join('/') || undefined, commit: e.GITHUB_SHA }
    : undefined,
  (e) => e.GITLAB_CI || e.CI_PIPELINE_ID
    ? { runId: e.CI_PIPELINE_ID, pipeline: e.CI_PROJECT_PATH, commit: e.CI_COMMIT_SHA }
    : undefined,
  (e) => e.BUILDKITE
    ? { runId: e.BUILDKITE_BUILD_ID ?? e.BUILDKITE_BUILD_NUMBER, pipeline: e.BUILDKITE_PIPELINE_SLUG, commit: e.BUILDKITE_COMMIT }
    : undefined,
  (e) => e.CIRCLECI
    ? { runId: e.CIRCLE_WORKFLOW_ID ?? e.CIRCLE_BUILD_NUM, pipeline: [e.CIRCLE_PROJECT_USERNAME, e.CIRCLE_PROJECT_REPONAME].filter(Boolean).join('/') || undefined, commit: e.CIRCLE_SHA1 }
    : undefined,
  (e) => e.TF_BUILD
    ? { runId: e.BUILD_BUILDID, pipeline: e.BUILD_DEFINITIONNAME, commit: e.BUILD_SOURCEVERSION }
    : undefined,
  (e) => e.BUILD_TAG && e.JENKINS_URL !== undefined
    ? { runId: e.BUILD_TAG, pipeline: e.JOB_NAME, commit: e.GIT_COMMIT }
    : undefined,
];

export function ciHeaders(env: Env): Record<string, string> {
  const detected = SYSTEMS.map((detect) => detect(env)).find(Boolean) ?? {};
  const ids: CiIds = {
    runId: env.XDSFLARE_CI_RUN_ID || detected.runId,
    pipeline: env.XDSFLARE_CI_PIPELINE || detected.pipeline,
    commit: env.XDSFLARE_CI_COMMIT || detected.commit,
  };
  const headers: Record<string, string> = {};
  // The edge keeps 256 characters; header values must be visible ASCII.
  const clean = (v: string) => v.replace(/[^\x20-\x7e]/g, '?').slice(0, 256);
  if (ids.runId) headers['x-ci-run-id'] = clean(ids.runId);
  if (ids.pipeline) headers['x-ci-pipeline'] = clean(ids.pipeline);
  if (ids.commit) headers['x-ci-commit'] = clean(ids.commit);
  return headers;
}
