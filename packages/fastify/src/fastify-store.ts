import {
  cookieExpiry,
  DEFAULT_TTL_MS,
  LoadedSession,
  SessionTracker,
  StoreConfigError,
  ttlFromCookie,
  type CookieExpiry,
  type FailMode,
  type SessionLogger,
  type SessionStore,
} from '@sessionkit/core';

/**
 * Node-style callback as @fastify/session passes it. Loosely typed on purpose: @fastify/session
 * types the loaded value as its own `Session`, which apps augment.
 */
// biome-ignore lint/suspicious/noExplicitAny: @fastify/session declares its callback with `any`
export type FastifyStoreCallback = (err?: any, value?: any) => void;

export interface FastifySessionStoreOptions {
  /**
   * A request that did not change the session (with `rolling`, every request saves) refreshes the
   * stored expiry only when it was refreshed at least this many ms ago. Default: 1/10 of the
   * session's TTL. `0` refreshes on every save.
   */
  touchAfterMs?: number;
  /**
   * `'open'` (default): while the store is unreachable a request gets an empty session under its
   * own sid, so its cookie is kept; a save that only moves the expiry writes nothing, a real change
   * is still attempted (and fails with 503 while the store is down). `'closed'`: 503.
   */
  failMode?: FailMode;
  /** TTL in ms for sessions whose cookie has no expiry (browser-session cookies). Default 86400000 (one day). */
  defaultTtlMs?: number;
  /** While the store is unreachable, it is probed with one read this often, in ms. Default 1000. */
  probeIntervalMs?: number;
  /** Receives one warning per sid whose stored session does not decode. Default `console`. */
  logger?: SessionLogger;
}

/**
 * A store for @fastify/session (its `get` / `set` / `destroy` callback shape) over any sessionkit
 * `SessionStore`: a translation onto the session tracker of `@sessionkit/core`.
 *
 * - `set` writes only the top-level keys the request changed or removed (`SessionStore.patch`),
 *   diffed against the session as this request loaded it, so concurrent requests changing
 *   different keys both keep their change; new and regenerated sessions go through `set`.
 * - @fastify/session saves on every request (`rolling`, its default): a save that only moved
 *   `cookie.expires` writes only when the stored expiry is older than `touchAfterMs`, so a
 *   read-only request costs one store read.
 * - TTL from `cookie.expires` (`defaultTtlMs` without one).
 * - An invalid sid or a stored session that does not decode (logged once per sid) is a new session.
 * - Errors passed to callbacks carry `statusCode` 503 (store down) or 400 (data that cannot be
 *   stored), which Fastify answers with.
 *
 * The load is matched to the save through the session data: `get` puts an entry under
 * `'sessionkit:loaded'` that @fastify/session copies onto `request.session`; it has no JSON form,
 * so it is never stored, hashed or sent.
 *
 * @throws StoreConfigError for an invalid option.
 * @example
 * import fastifySession from '@fastify/session';
 * app.register(fastifyCookie);
 * app.register(fastifySession, { secret, store: new FastifySessionStore(createStore('redis://127.0.0.1:6379')) });
 */
export class FastifySessionStore {
  readonly store: SessionStore;
  readonly failMode: FailMode;
  readonly #tracker: SessionTracker;
  readonly #defaultTtlMs: number;
  /** What each session object was loaded or last saved as, for a second save in the same request. */
  readonly #loads = new WeakMap<object, LoadedSession>();

  constructor(store: SessionStore, options: FastifySessionStoreOptions = {}) {
    this.store = store;
    this.#defaultTtlMs = options.defaultTtlMs ?? DEFAULT_TTL_MS;
    if (typeof this.#defaultTtlMs !== 'number' || !Number.isFinite(this.#defaultTtlMs) || this.#defaultTtlMs <= 0) {
      throw new StoreConfigError(
        `defaultTtlMs must be a positive number of milliseconds, got ${String(this.#defaultTtlMs)}`,
      );
    }
    // @fastify/session's cookie moves `expires` on every request and keeps the previous one in `originalExpires`.
    this.#tracker = new SessionTracker(store, { ...options, expiry: cookieExpiry(['expires', 'originalExpires']) });
    this.failMode = this.#tracker.failMode;
  }

  /** True while the store is believed reachable. */
  get available(): boolean {
    return this.#tracker.available;
  }

  /** Loads a session: its data, or `null` when absent, expired, undecodable or the sid is invalid. */
  get(sid: string, callback: FastifyStoreCallback): void {
    this.#tracker.load(sid).then(
      // A copy: the store's object stays untouched; the load rides along in the copy.
      (load) => process.nextTick(callback, null, load.data && load.carry({ ...load.data })),
      (err: unknown) => process.nextTick(callback, err),
    );
  }

  /** Saves a session: a `patch` of the changed keys when this request loaded it, a `set` when it is new. */
  set(sid: string, session: object, callback: FastifyStoreCallback): void {
    const load = this.#loads.get(session) ?? LoadedSession.carriedBy(session);
    const cookie = (session as { cookie?: CookieExpiry }).cookie;
    this.#tracker.save(sid, session, { ttlMs: ttlFromCookie(cookie, this.#defaultTtlMs), load }).then(
      (outcome) => {
        this.#loads.set(session, outcome.load);
        process.nextTick(callback);
      },
      (err: unknown) => process.nextTick(callback, err),
    );
  }

  /** Removes a session; idempotent, and a no-op for an invalid sid. */
  destroy(sid: string, callback: FastifyStoreCallback): void {
    this.#tracker.destroy(sid).then(
      () => process.nextTick(callback),
      (err: unknown) => process.nextTick(callback, err),
    );
  }
}
