import { randomBytes } from 'node:crypto';
import {
  DEFAULT_TTL_MS,
  LoadedSession,
  SessionTracker,
  StoreConfigError,
  type FailMode,
  type SessionLogger,
  type SessionStore,
} from '@sessionkit/core';

/** The data functions of React Router's `createSessionStorage` (and Remix's). */
export interface SessionDataFunctions<Data extends object> {
  /** Stores a new session and returns its id. */
  createData(data: Data, expires?: Date): Promise<string>;
  /** The session, or `null` when absent, expired, undecodable or the id is invalid. */
  readData(id: string): Promise<Data | null>;
  /** Saves a session read in this request: only the top-level keys that changed or were removed. */
  updateData(id: string, data: Data, expires?: Date): Promise<void>;
  /** Removes a session; idempotent. */
  deleteData(id: string): Promise<void>;
}

export interface SessionkitStorageOptions {
  /** Lifetime of sessions whose cookie has no expiry (`expires` not given), ms. Default 86400000 (one day). */
  defaultTtlMs?: number;
  /**
   * `'open'` (default): while the store is unreachable `readData` gives an empty session under the
   * same id (its cookie is kept) and an unchanged commit writes nothing. `'closed'`: `readData`
   * rejects with `StoreUnavailableError` (status 503).
   */
  failMode?: FailMode;
  /** An unchanged commit refreshes the stored expiry only when it is older than this, ms. Default: 1/10 of the TTL. */
  touchAfterMs?: number;
  /** While the store is unreachable, it is probed with one read this often, ms. Default 1000. */
  probeIntervalMs?: number;
  /** Receives one warning per id whose stored session does not decode. Default `console`. */
  logger?: SessionLogger;
}

/**
 * `createData`, `readData`, `updateData` and `deleteData` for React Router's (or Remix's)
 * `createSessionStorage` on any sessionkit store: a translation onto the session tracker of
 * `@sessionkit/core`. `updateData` writes only the keys the request changed (`patch`), diffed
 * against what `readData` returned in the same request, so two concurrent actions changing
 * different keys both keep their change. Ids are 32 random base64url characters (192 bits).
 *
 * `readData` puts an entry under `'sessionkit:loaded'` into the data it returns, which the session
 * keeps and hands back to `updateData`; it has no JSON form, so it is never stored.
 * Rejections carry `status` 503 (store down) or 400 (data that cannot be stored).
 *
 * @throws StoreConfigError for an invalid option.
 * @example
 * import { createCookie, createSessionStorage } from 'react-router';
 * const { getSession, commitSession, destroySession } = createSessionStorage({
 *   cookie: createCookie('__session', { secrets: [process.env.SESSION_SECRET!], httpOnly: true, sameSite: 'lax', maxAge: 86_400 }),
 *   ...sessionkitStorage(createStore(process.env.SESSION_STORE_URL ?? 'memory://')),
 * });
 */
export function sessionkitStorage<Data extends object = Record<string, unknown>>(
  store: SessionStore,
  options: SessionkitStorageOptions = {},
): SessionDataFunctions<Data> {
  const { defaultTtlMs = DEFAULT_TTL_MS, ...trackerOptions } = options;
  if (typeof defaultTtlMs !== 'number' || !Number.isFinite(defaultTtlMs) || defaultTtlMs <= 0) {
    throw new StoreConfigError(`defaultTtlMs must be a positive number of milliseconds, got ${String(defaultTtlMs)}`);
  }
  const tracker = new SessionTracker(store, trackerOptions);
  const ttlOf = (expires: Date | undefined) => (expires ? expires.getTime() - Date.now() : defaultTtlMs);

  return {
    async createData(data, expires) {
      const id = randomBytes(24).toString('base64url');
      await tracker.save(id, data, { ttlMs: ttlOf(expires) });
      return id;
    },
    async readData(id) {
      const load = await tracker.load(id);
      // A copy: the store's object stays untouched; the load rides along in the copy.
      return load.data && (load.carry({ ...load.data }) as Data);
    },
    async updateData(id, data, expires) {
      await tracker.save(id, data, { ttlMs: ttlOf(expires), load: LoadedSession.carriedBy(data) });
    },
    deleteData: (id) => tracker.destroy(id),
  };
}
