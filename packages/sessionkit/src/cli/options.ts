import { InvalidArgumentError, type Command } from 'commander';

/** Options every command takes. */
export interface CommonOptions {
  /** Print one JSON document on stdout instead of text. */
  json?: boolean;
  /** `operationTimeoutMs` for the store, in ms. */
  timeout?: number;
}

/** Adds `--json` and `--timeout <ms>` to a command. */
export function withCommonOptions(command: Command): Command {
  return command
    .option('--json', 'print one JSON document on stdout instead of text')
    .option('--timeout <ms>', 'each store call settles within this many milliseconds (default 30000)', positiveInteger);
}

/** commander argument parser for a whole number > 0. */
export function positiveInteger(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1)
    throw new InvalidArgumentError(`expected a whole number > 0, got ${JSON.stringify(value)}`);
  return n;
}
