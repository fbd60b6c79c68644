/**
 * The parts of the API's answers the console reads (the OpenAPI document at /openapi.json is the
 * reference). Written out here: the console, like the CLI, talks to the edge over HTTP only.
 */

export interface IstioObject {
  kind: string;
  metadata: { namespace: string; name: string; resourceVersion?: string };
  spec: Record<string, unknown>;
}
export interface ObjectList {
  metadata: { resourceVersion: string };
  items: IstioObject[];
}

export interface Nack {
  version: string;
  message: string;
  inferred: boolean;
  at: string;
}
export interface Subscription {
  acked: string;
  served?: string;
  servedRevision?: number;
  nack?: Nack;
  updatedAt: string;
}
export interface Proxy {
  nodeId: string;
  cluster: string;
  userAgent: string;
  labels: Record<string, string>;
  view: string;
  transport: string;
  bridge: string | null;
  lastSeen: string;
  stale: boolean;
  subscriptions: Record<string, Subscription>;
}

export interface Change {
  op: 'created' | 'updated' | 'deleted';
  kind: string;
  namespace: string;
  name: string;
}
export interface PatchOp {
  op: string;
  path: string;
  value?: unknown;
  from?: string;
}
export interface Revision {
  revision: number;
  createdAt: string;
  author: string;
  source: Record<string, string>;
  changes: Change[];
  changesTotal?: number;
  configHash: string;
  outcome: 'converged' | 'rejected' | null;
}
export interface RevisionDetail extends Revision {
  diff?: {
    intents: (Change & { patch?: PatchOp[]; patchOps?: number })[];
    rendered: { view: string; type: string; name: string; op: 'added' | 'removed' | 'changed'; patch?: PatchOp[]; patchOps?: number }[];
    counts: { intents: number; rendered: number };
    truncated: boolean;
    errors?: string[];
  };
}
export interface RevisionStatus {
  revision: number;
  head: number;
  phase: 'converged' | 'rejected' | 'pending' | 'no-proxies';
  counts: { converged: number; rejected: number; pending: number; stale: number };
  note?: string;
}
export interface RollbackResult {
  revision: number;
  committed: boolean;
  rolledBackTo: number;
}

export interface Destination {
  host: string;
  subset?: string;
  port?: { number: number };
}
export interface StepRecord {
  step: number;
  weight: number;
  revision: number | null;
  startedAt: string | null;
  convergedAt: string | null;
  deadline: string | null;
  outcome: string;
  note?: string;
  analysis?: string;
}
export interface Measurement {
  metric: string;
  step: number | null;
  query: string;
  value: number | null;
  at: string;
  verdict: string;
  message?: string;
}
export interface Rollout {
  id: number;
  name: string | null;
  state: 'progressing' | 'paused' | 'succeeded' | 'aborted' | string;
  virtualService: { namespace: string; name: string };
  route: string;
  stable: Destination;
  candidate: Destination;
  /** The candidate's routed weight per step (0 for a mirror or A/B step). */
  steps: number[];
  /** What each step does (`weight`, `mirror`, `match`, and kinds to come): shown by its fields, so a new kind needs no console change. */
  stepKinds?: ({ kind: string } & Record<string, unknown>)[];
  pauseSeconds: number;
  timeoutSeconds: number;
  currentStep: number;
  weight: number;
  baseRevision: number | null;
  history: StepRecord[];
  abort: { reason: string; message: string; revision: number | null; rejections: { node_id: string; type: string; message: string }[]; rollbackRevision: number | null; rollbackError?: string; at: string } | null;
  analysis?: { measurements?: Measurement[] } | null;
  gateCalls?: { type: string; webhook: string; step: number; at: string; verdict: string; status: number | null; message?: string }[];
  hold?: { by: string; message: string; at: string } | null;
  routeNow?: { candidateWeight: number | null; revision: number | null; matches: boolean };
  author: string;
  createdAt: string;
  updatedAt: string;
  finishedAt: string | null;
}
