import { createHash } from 'node:crypto';
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { redactUrl } from '@sessionkit/core';
import { CliError, EXIT } from '../exit-codes.js';

/** Counts a migration keeps across runs. */
export interface MigrationCounts {
  /** Rows read from the source (each sid once per run). */
  read: number;
  /** Sessions written to the target. */
  copied: number;
  /** Rows already expired when read: nothing to copy. */
  expired: number;
  /** Rows that do not decode, or whose sid sessionkit refuses: not copied. */
  undecodable: number;
  /** Copied sessions whose expiry the source could not tell: `cookie.expires` or `--default-ttl` was used. */
  estimatedTtl: number;
  /** Rows the target refused (too large, a value sessionkit does not store): not copied. */
  refused: number;
  /** Copied sessions not found in the target when read back. */
  missing: number;
}

/** What the state file holds, so a stopped migration resumes where it was. */
export interface MigrationState {
  version: 1;
  /** Hash of the two URLs (passwords included), so a file is never applied to another migration. */
  key: string;
  from: string;
  to: string;
  /** Where the source walk resumes; `undefined` before the first batch. */
  cursor?: string;
  done: boolean;
  /** Live sessions in the target when the migration started. */
  targetAtStart: number;
  counts: MigrationCounts;
  /** Up to 20 sids that were not copied, with the reason. */
  skipped: { sid: string; reason: string }[];
  startedAt: string;
  updatedAt: string;
}

export function emptyCounts(): MigrationCounts {
  return { read: 0, copied: 0, expired: 0, undecodable: 0, refused: 0, estimatedTtl: 0, missing: 0 };
}

/** The key that ties a state file to one source and target. */
export function migrationKey(from: string, to: string): string {
  return createHash('sha256').update(`${from}\n${to}`).digest('hex');
}

/** Default state file name in the working directory: `sessionkit-migrate-<first 12 hex of the key>.json`. */
export function defaultStatePath(from: string, to: string): string {
  return `sessionkit-migrate-${migrationKey(from, to).slice(0, 12)}.json`;
}

/**
 * Reads the state of this migration from `path`: a fresh state when there is none (or `restart`),
 * the saved one to resume otherwise.
 * @throws CliError (exit 2) when the file belongs to another migration, does not parse, or records
 *   a finished migration (copying again over a target the app may already use would overwrite
 *   newer sessions; pass --restart to do it anyway).
 */
export function loadState(
  path: string,
  from: string,
  to: string,
  restart: boolean,
): { state: MigrationState; resumed: boolean } {
  const key = migrationKey(from, to);
  const now = new Date().toISOString();
  const fresh: MigrationState = {
    version: 1,
    key,
    from: redactUrl(from),
    to: redactUrl(to),
    done: false,
    targetAtStart: 0,
    counts: emptyCounts(),
    skipped: [],
    startedAt: now,
    updatedAt: now,
  };
  if (restart) return { state: fresh, resumed: false };
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return { state: fresh, resumed: false };
  }
  let saved: MigrationState;
  try {
    saved = JSON.parse(text) as MigrationState;
  } catch (err) {
    throw new CliError(
      `state file ${path} does not parse (${(err as Error).message}); remove it or pass --restart`,
      EXIT.usage,
    );
  }
  if (saved.key !== key)
    throw new CliError(
      `state file ${path} belongs to another migration (${saved.from} → ${saved.to}); pass another --state file`,
      EXIT.usage,
    );
  if (saved.done) {
    throw new CliError(
      `this migration finished at ${saved.updatedAt} (${saved.counts.copied} copied; state in ${path}). Running it again would overwrite sessions the app may have changed in the target since; pass --restart to copy everything again.`,
      EXIT.usage,
    );
  }
  return { state: { ...saved, counts: { ...emptyCounts(), ...saved.counts } }, resumed: true };
}

/** Writes the state atomically (a temporary file renamed over the old one). */
export function saveState(path: string, state: MigrationState): void {
  state.updatedAt = new Date().toISOString();
  const temporary = `${path}.${process.pid}.tmp`;
  writeFileSync(temporary, `${JSON.stringify(state, null, 2)}\n`);
  renameSync(temporary, path);
}
