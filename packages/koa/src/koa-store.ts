import {
  DEFAULT_TTL_MS,
  SessionTracker,
  StoreConfigError,
  type ExpiryRule,
  type FailMode,
  type LoadedSession,
  type SessionData,
  type SessionLogger,
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
  /**
   * `'open'` (default): while the store is unreachable a request gets an empty session under its
   * own key (its cookie is kept; a real change is still attempted). `'closed'`: 503.
   */
  failMode?: FailMode;
  /** A save that changed nothing refreshes the stored expiry only when it was refreshed at least this many ms ago. Default 0: koa-session decides (`rolling`). */
  touchAfterMs?: number;
  /** While the store is unreachable, it is probed with one read this often, in ms. Default 1000. */
  probeIntervalMs?: number;
  /** Receives one warning per key whose stored session does not decode. Default `console`. */
  logger?: SessionLogger;
}

/** koa-session keeps the expiry in `_expire` (epoch ms) and `_maxAge` (ms), or `_session` for browser-session cookies. */
const KOA_EXPIRY: ExpiryRule = {
  keys: ['_expire', '_maxAge', '_session'],
  refreshedAt(session) {
    const { _expire, _maxAge } = session as { _expire?: unknown; _maxAge?: unknown };
    return typeof _expire === 'number' && typeof _maxAge === 'number' ? _expire - _maxAge : undefined;
  },
  onlyExpiry: (change) =>
    change.unset.length === 0 && Object.keys(change.set).every((key) => KOA_EXPIRY.keys.includes(key)),
};

/**
 * koa-session's external store over any sessionkit `SessionStore`: a translation of koa-session's
 * `{ get, set, destroy }` onto the session tracker of `@sessionkit/core`.
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
 * - Store errors reject with `status` 503 (store down) or 400 (data that cannot be stored), which Koa answers with.
 *
 * @throws StoreConfigError for an invalid option.
 * @example
 * app.use(session({ store: koaStore(createStore(process.env.SESSION_STORE_URL)), maxAge: 86_400_000 }, app));
 */
export function koaStore(store: SessionStore, options: KoaStoreOptions = {}): KoaExternalStore {
  const defaultTtlMs = options.defaultTtlMs ?? DEFAULT_TTL_MS;
  if (typeof defaultTtlMs !== 'number' || !Number.isFinite(defaultTtlMs) || defaultTtlMs <= 0) {
    throw new StoreConfigError(`defaultTtlMs must be a positive number of milliseconds, got ${String(defaultTtlMs)}`);
  }
  const tracker = new SessionTracker(store, { touchAfterMs: 0, ...options, expiry: KOA_EXPIRY });
  // What each request loaded: keyed by the Koa context, so it goes away with it.
  const loads = new WeakMap<object, LoadedSession>();
  const ttlOf = (maxAge: KoaMaxAge): number => (typeof maxAge === 'number' && maxAge > 0 ? maxAge : defaultTtlMs);
  const requestOf = (options?: KoaStoreCallOptions): object | undefined =>
    typeof options?.ctx === 'object' && options.ctx !== null ? options.ctx : undefined;

  return {
    async get(key, _maxAge, options) {
      const load = await tracker.load(key);
      const request = requestOf(options);
      if (load.data && request) loads.set(request, load);
      return load.data;
    },

    async set(key, sess, maxAge, options) {
      const request = requestOf(options);
      const { load } = await tracker.save(key, sess, { ttlMs: ttlOf(maxAge), load: request && loads.get(request) });
      if (request) loads.set(request, load);
    },

    async destroy(key, options) {
      const request = requestOf(options);
      if (request) loads.delete(request);
      await tracker.destroy(key);
    },
  };
}
