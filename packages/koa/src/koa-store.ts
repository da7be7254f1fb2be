import {
  changeBetween,
  DEFAULT_TTL_MS,
  keyTexts,
  isSessionStoreError,
  storedKeyTexts,
  isValidSessionId,
  StoreConfigError,
  type KeyTexts,
  type SessionData,
  type SessionStore,
} from '@sessionkit/core';

/** koa-session's `maxAge`: milliseconds, or `'session'` for a browser-session cookie. */
export type KoaMaxAge = number | 'session' | undefined;

/** What koa-session passes with each call; `ctx` is the Koa context of the request. */
export interface KoaStoreCallOptions {
  ctx?: object;
  rolling?: boolean;
  changed?: boolean;
}

/** koa-session's external store contract (`opts.store`). */
export interface KoaExternalStore {
  get(key: string, maxAge: KoaMaxAge, options?: KoaStoreCallOptions): Promise<SessionData | null>;
  set(key: string, sess: SessionData, maxAge: KoaMaxAge, options?: KoaStoreCallOptions): Promise<void>;
  destroy(key: string, options?: KoaStoreCallOptions): Promise<void>;
}

export interface KoaStoreOptions {
  /** TTL in ms for `maxAge: 'session'` (browser-session cookies). Default 86400000 (one day). */
  defaultTtlMs?: number;
  /** Receives one warning per key whose stored session does not decode. Default `console`. */
  logger?: { warn(message: string): void };
}

/** Most keys remembered for "warn once per key"; bounded, so warnings may repeat after it fills. */
const WARNED_KEYS_MAX = 1000;

/**
 * koa-session's external store over any sessionkit `SessionStore`.
 *
 * - `get` returns `null` for a key that is not a valid sessionkit sid (koa-session then starts a
 *   new session) and for stored bytes that do not decode (`SessionDecodeError`, logged once per key).
 * - `set` writes a session first seen in this request through `SessionStore.set`; a session loaded
 *   in the same request (same `ctx`) is saved through `SessionStore.patch` with only the top-level
 *   keys that changed, so concurrent requests changing different keys both keep their change. A
 *   `rolling` save that changed nothing sends only koa-session's `_expire`; when not even that
 *   moved (`maxAge: 'session'`), `SessionStore.touch` refreshes the expiry.
 * - TTL is koa-session's `maxAge` (it already adds 10 s so the store outlives the cookie), or
 *   `defaultTtlMs` for `'session'`.
 * - Errors from the store reject; `StoreUnavailableError` carries `status` 503, which Koa answers with.
 *
 * @throws StoreConfigError for an invalid `defaultTtlMs`.
 */
export function koaStore(store: SessionStore, options: KoaStoreOptions = {}): KoaExternalStore {
  const defaultTtlMs = options.defaultTtlMs ?? DEFAULT_TTL_MS;
  if (typeof defaultTtlMs !== 'number' || !Number.isFinite(defaultTtlMs) || defaultTtlMs <= 0) {
    throw new StoreConfigError(`defaultTtlMs must be a positive number of milliseconds, got ${String(defaultTtlMs)}`);
  }
  const logger = options.logger ?? console;
  const snapshots = new WeakMap<object, { key: string; texts: () => KeyTexts }>();
  const warned = new Set<string>();
  const ttlOf = (maxAge: KoaMaxAge): number => (typeof maxAge === 'number' && maxAge > 0 ? maxAge : defaultTtlMs);
  // Snapshots are per request: keyed by the Koa context, so they go away with it.
  const requestOf = (options?: KoaStoreCallOptions): object | undefined =>
    typeof options?.ctx === 'object' && options.ctx !== null ? options.ctx : undefined;

  return {
    async get(key, _maxAge, options) {
      if (!isValidSessionId(key)) return null;
      let data: SessionData | null;
      try {
        data = await store.get(key);
      } catch (err) {
        if (!isSessionStoreError(err, 'ERR_SESSION_DECODE')) throw withHttpStatus(err);
        if (warned.size >= WARNED_KEYS_MAX) warned.clear();
        if (!warned.has(key)) logger.warn(`[sessionkit] stored session ${key} does not decode; treating it as absent (${(err as Error).message})`);
        warned.add(key);
        return null;
      }
      const request = requestOf(options);
      if (data && request) {
        // Stores remember what they decoded a session from: the diff at save time starts from
        // that, so a request that never saves costs no encoding. Other stores get a snapshot now.
        const stored = storedKeyTexts(data);
        const texts = stored ?? keyTexts(data);
        snapshots.set(request, { key, texts: typeof texts === 'function' ? texts : () => texts });
      }
      return data;
    },

    async set(key, sess, maxAge, options) {
      const ttlMs = ttlOf(maxAge);
      const current = keyTexts(sess);
      const request = requestOf(options);
      const snapshot = request && snapshots.get(request);
      try {
        if (snapshot?.key !== key) {
          await store.set(key, sess, { ttlMs });
        } else {
          const change = changeBetween(snapshot.texts(), current);
          if (Object.keys(change.set).length === 0 && change.unset.length === 0) await store.touch(key, { ttlMs });
          else await store.patch(key, change, { ttlMs });
        }
      } catch (err) {
        throw withHttpStatus(err);
      }
      if (request) snapshots.set(request, { key, texts: () => current });
    },

    async destroy(key, options) {
      const request = requestOf(options);
      if (request) snapshots.delete(request);
      if (!isValidSessionId(key)) return;
      try {
        await store.destroy(key);
      } catch (err) {
        throw withHttpStatus(err);
      }
    },
  };
}

/**
 * Gives store errors the HTTP status Koa's error handling answers with: 503 for
 * `StoreUnavailableError`; 400 for data the client sent that no store accepts
 * (`SessionEncodeError`, `SessionTooLargeError`, `InvalidSessionIdError`), which never marks the
 * store down.
 */
function withHttpStatus(err: unknown): unknown {
  if (isSessionStoreError(err, 'ERR_STORE_UNAVAILABLE')) return Object.assign(err as Error, { status: 503, statusCode: 503, expose: false });
  if (isClientDataError(err)) return Object.assign(err as Error, { status: 400, statusCode: 400, expose: true });
  return err;
}

function isClientDataError(err: unknown): boolean {
  return (
    isSessionStoreError(err, 'ERR_SESSION_ENCODE') ||
    isSessionStoreError(err, 'ERR_SESSION_TOO_LARGE') ||
    isSessionStoreError(err, 'ERR_SESSION_ID_INVALID')
  );
}
