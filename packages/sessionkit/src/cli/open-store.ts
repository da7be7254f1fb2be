import {
  createStore,
  isSessionStoreError,
  redactUrl,
  registeredSchemes,
  type CreateStoreOptions,
  type SessionStore,
} from '@sessionkit/core';
import './register-stores.js';
import { CliError, EXIT } from './exit-codes.js';

/** What the command does with the store: read-only commands never create a missing SQL table. */
export type StoreUse = 'read' | 'write';

export interface OpenStoreOptions {
  use: StoreUse;
  /** `operationTimeoutMs` for every store call, in ms; default {@link DEFAULT_CLI_TIMEOUT_MS}. */
  timeoutMs?: number;
}

/**
 * `operationTimeoutMs` when `--timeout` is not given. An operator's batch job waits out a busy
 * database instead of failing at its first slow call; an app keeps the stores' 2 s default.
 */
export const DEFAULT_CLI_TIMEOUT_MS = 30_000;

const SQL_SCHEMES = new Set(['postgres', 'postgresql', 'mysql', 'mariadb', 'sqlite']);

/** The URL scheme in lower case, without the colon; `''` when there is none. */
export function schemeOf(url: string): string {
  return /^([a-z][a-z0-9+.-]*):/i.exec(url)?.[1]?.toLowerCase() ?? '';
}

/**
 * Checks, without connecting, that `url` names a store the CLI can reach.
 * @throws CliError (exit 2) as {@link openStore} does.
 */
export function checkStoreUrl(url: string): void {
  const scheme = schemeOf(url);
  if (scheme === 'memory') {
    throw new CliError(
      'memory:// sessions live inside the app process; the CLI would see an empty store of its own. Point it at the shared store (redis://, postgres://, mysql://, sqlite:).',
      EXIT.usage,
    );
  }
  if (scheme === 'cluster') {
    throw new CliError(
      'cluster:// sessions live inside the app instances; the CLI does not join their mesh. Use the app to list or revoke them, or migrate them from inside the app.',
      EXIT.usage,
    );
  }
  if (!registeredSchemes().some((known) => known.scheme === scheme)) {
    const known = registeredSchemes()
      .map((s) => `${s.scheme}: (${s.example})`)
      .join(', ');
    throw new CliError(
      `No session store is registered for ${scheme ? `"${scheme}:"` : 'a URL without a scheme'} (${JSON.stringify(redactUrl(url))}). Known: ${known}`,
      EXIT.usage,
    );
  }
}

/**
 * Opens a sessionkit store from its URL for one CLI command. SQL stores get no prune timer (the
 * CLI's `prune` runs it once) and, for read-only commands, never create their table.
 * @throws CliError (exit 2) for a URL that does not parse, an unknown scheme (the message lists the
 *   known ones), or a store the CLI cannot reach from its own process (memory://, cluster://).
 */
export function openStore(url: string, { use, timeoutMs }: OpenStoreOptions): SessionStore {
  checkStoreUrl(url);
  const scheme = schemeOf(url);
  const options: CreateStoreOptions = { operationTimeoutMs: timeoutMs ?? DEFAULT_CLI_TIMEOUT_MS };
  if (SQL_SCHEMES.has(scheme)) {
    options['pruneIntervalMs'] = false;
    options['createTable'] = use === 'write';
  }
  try {
    return createStore(url, options);
  } catch (err) {
    if (isSessionStoreError(err, 'ERR_STORE_CONFIG')) throw new CliError(err.message, EXIT.usage);
    throw new CliError(`${redactUrl(url)}: ${err instanceof Error ? err.message : String(err)}`, EXIT.usage);
  }
}

/** Runs `work` with the store and closes it afterwards, whatever happens. */
export async function withStore<T>(
  url: string,
  options: OpenStoreOptions,
  work: (store: SessionStore) => Promise<T>,
): Promise<T> {
  const store = openStore(url, options);
  try {
    return await work(store);
  } finally {
    await store.close().catch(() => {});
  }
}
