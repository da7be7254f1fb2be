import { isSessionStoreError, type SessionEntry, type SessionStore } from '@sessionkit/core';
import { CliError, EXIT } from './exit-codes.js';

/**
 * The store's `entries()`, and a count of the sessions it skipped because they do not decode (the
 * store reports each as an `error` event carrying a `SessionDecodeError`).
 */
export function readEntries(
  store: SessionStore,
  sids?: Iterable<string>,
): { entries: AsyncIterable<SessionEntry>; undecodable: string[] } {
  if (typeof store.entries !== 'function') {
    throw new CliError(
      `the ${store.name} store cannot list its sessions with their expiry (it has no entries()); upgrade its package`,
      EXIT.failed,
    );
  }
  const undecodable: string[] = [];
  const entries = store.entries(sids);
  async function* watched(): AsyncGenerator<SessionEntry> {
    const onError = (err: unknown) => {
      if (isSessionStoreError(err, 'ERR_SESSION_DECODE')) undecodable.push((err as { sid?: string }).sid ?? '?');
    };
    store.on('error', onError);
    try {
      yield* entries;
    } finally {
      store.off('error', onError);
    }
  }
  return { entries: watched(), undecodable };
}
