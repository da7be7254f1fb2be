/**
 * The `sessionkit` CLI's exit codes. Scripts and cron jobs branch on them:
 * - 0 `ok`: done;
 * - 1 `failed`: the store could not be reached or refused the operation (message on stderr);
 * - 2 `usage`: bad arguments, an unknown URL scheme, or a store the CLI cannot reach (memory://);
 * - 3 `notFound`: `show` found no such session;
 * - 4 `rowsSkipped`: `migrate` finished, but some rows were not copied (undecodable, or missing
 *   from the target when read back); the summary counts and names them;
 * - 5 `paused`: `migrate` stopped at `--max-rows`; the same command resumes it;
 * - 130 `interrupted`: Ctrl-C; `migrate` saved its place and the same command resumes it.
 */
export const EXIT = {
  ok: 0,
  failed: 1,
  usage: 2,
  notFound: 3,
  rowsSkipped: 4,
  paused: 5,
  interrupted: 130,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** An error the CLI reports as one line on stderr, exiting with `exitCode`. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: ExitCode = EXIT.failed,
  ) {
    super(message);
    this.name = 'CliError';
  }
}
