/** The exit codes a pipeline branches on (the issue 5 contract; docs/cli.md's table). */
export const EXIT = {
  ok: 0,
  unexpected: 1,
  usage: 2,
  refused: 3,
  rejected: 4,
  timeout: 5,
  auth: 6,
  notFound: 7,
  /** diff (apply --dry-run): what is otherwise 1, since there 1 means "changes", as kubectl diff's. */
  diffUnexpected: 8,
} as const;

/** diff (apply --dry-run) as kubectl diff: 0 no changes, 1 changes. */
export const DIFF = { same: 0, changes: 1 } as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** The exit code an HTTP error status means. */
export function exitCodeForStatus(status: number): ExitCode {
  if (status === 401 || status === 403) return EXIT.auth;
  if (status === 404) return EXIT.notFound;
  if ([400, 409, 412, 413, 415, 422].includes(status)) return EXIT.refused;
  return EXIT.unexpected;
}

/** An error that ends the command with a given exit code; `lines` go to stderr. */
export class CliError extends Error {
  constructor(
    readonly code: ExitCode,
    message: string,
    readonly lines: string[] = [],
  ) {
    super(message);
  }
}

/** A mistake on the command line: exit 2, with a pointer to the command's help. */
export class UsageError extends CliError {
  constructor(message: string) {
    super(EXIT.usage, message);
  }
}
