import { CliError, EXIT, exitCodeForStatus } from './exit-codes';
import { rolloutConflictLines, type OwningRollout } from './rollout-conflict';

/** An application/problem+json body (RFC 9457) as the edge writes it. */
interface Problem {
  title?: string;
  detail?: string;
  errors?: { path?: string; message?: string; object?: string }[];
  requestId?: string;
  /** A 409 for a write that moves an active rollout's route: the rollouts it collides with. */
  rollouts?: OwningRollout[];
}

/** A non-2xx answer as a CliError: its exit code, the title and detail, and one line per field error. */
export function apiError(status: number, text: string, describePath: (path: string) => string = (p) => p): CliError {
  let problem: Problem | undefined;
  try {
    const parsed: unknown = JSON.parse(text);
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) problem = parsed as Problem;
  } catch {}
  const code = exitCodeForStatus(status);
  if (!problem?.title) return new CliError(code, `the server answered ${status}${text.trim() ? `: ${text.trim().slice(0, 500)}` : ''}`);
  const lines = (problem.errors ?? []).map((e) => {
    const path = e.path ? describePath(e.path) : '(manifest)';
    return `  ${e.object ? `${e.object}: ` : ''}${path}: ${e.message ?? ''}`;
  });
  if (Array.isArray(problem.rollouts)) lines.push(...rolloutConflictLines(problem.rollouts));
  if (problem.requestId && code === EXIT.unexpected) lines.push(`  (request id ${problem.requestId})`);
  return new CliError(code, `${problem.title} (${status})${problem.detail ? `: ${problem.detail}` : ''}`, lines);
}

/** The texts of `Warning: 299 - "..."` headers (Kubernetes-style warnings). */
export function warningsOf(headers: Headers): string[] {
  const raw = headers.get('warning');
  if (!raw) return [];
  return [...raw.matchAll(/\d{3} \S+ "((?:[^"\\]|\\.)*)"/g)].map((m) => m[1]!);
}
