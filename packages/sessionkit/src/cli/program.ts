import { isSessionStoreError } from '@sessionkit/core';
import { Command, CommanderError } from 'commander';
import { listCommand } from './commands/list.js';
import { migrateCommand } from './commands/migrate.js';
import { pruneCommand } from './commands/prune.js';
import { revokeCommand } from './commands/revoke.js';
import { showCommand } from './commands/show.js';
import { statsCommand } from './commands/stats.js';
import { CliError, EXIT } from './exit-codes.js';

const EXAMPLES = `
Store URLs: redis://127.0.0.1:6379, postgres://app@db:5432/app?table=sessions,
mysql://app@db:3306/app, sqlite:./sessions.db (see the sessionkit docs for every option).

Examples:
  sessionkit stats redis://127.0.0.1:6379
  sessionkit list postgres://app@db/app --principal 42
  sessionkit revoke postgres://app@db/app --principal 42
  sessionkit migrate connect-redis+redis://127.0.0.1:6379 postgres://app@db/app

Exit codes: 0 ok, 1 store failure, 2 usage, 3 not found, 4 rows skipped, 5 paused, 130 interrupted.`;

/** The `sessionkit` command line: stats, list, show, revoke, prune, migrate. */
export function buildProgram(): Command {
  const program = new Command('sessionkit')
    .description(
      'operate sessionkit session stores: count, list, inspect and revoke sessions, prune SQL tables, migrate from other stores',
    )
    .showHelpAfterError('(run with --help for usage)')
    .addHelpText('after', EXAMPLES)
    .configureOutput({ outputError: (text, write) => write(text) });
  for (const command of [
    statsCommand(),
    listCommand(),
    showCommand(),
    revokeCommand(),
    pruneCommand(),
    migrateCommand(),
  ]) {
    program.addCommand(command.showHelpAfterError('(run with --help for usage)'));
  }
  // Parse errors throw instead of exiting, so every exit goes through one place.
  program.exitOverride();
  for (const command of program.commands) command.exitOverride();
  return program;
}

/**
 * Runs the CLI on `argv` (as `process.argv`) and resolves to the exit code. Errors print one line
 * on stderr: what failed and what to do.
 */
export async function runCli(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
    return typeof process.exitCode === 'number' ? process.exitCode : EXIT.ok;
  } catch (err) {
    if (err instanceof CommanderError) {
      // --help and --version exit 0; every parse error is a usage error.
      return err.exitCode === 0 ? EXIT.ok : EXIT.usage;
    }
    if (err instanceof CliError) {
      process.stderr.write(`sessionkit: ${err.message}\n`);
      return err.exitCode;
    }
    if (
      isSessionStoreError(err, 'ERR_PRINCIPAL_INVALID') ||
      isSessionStoreError(err, 'ERR_SESSION_ID_INVALID') ||
      isSessionStoreError(err, 'ERR_STORE_CONFIG')
    ) {
      process.stderr.write(`sessionkit: ${err.message}\n`);
      return EXIT.usage;
    }
    process.stderr.write(`sessionkit: ${err instanceof Error ? err.message : String(err)}\n`);
    return EXIT.failed;
  }
}
