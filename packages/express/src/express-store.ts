import {
  cookieExpiry,
  privateSlot,
  SessionTracker,
  ttlFromCookie,
  withHttpStatus,
  type CookieExpiry,
  type FailMode,
  type LoadedSession,
  type SaveOutcome,
  type SessionData,
  type SessionStore,
} from '@sessionkit/core';
import type { Request } from 'express';
import session from 'express-session';
import { settle, type Callback } from './callback.js';
import { defaultTtlOf, type ExpressSessionStoreOptions } from './options.js';

const { Store } = session;

type LoadedExpressSession = session.Session & session.SessionData;
type Generate = (req: Request) => void;

/**
 * An express-session `Store` over any sessionkit `SessionStore`: a translation of express-session's
 * store calls onto the session tracker of `@sessionkit/core`.
 *
 * - Every method takes an optional Node-style callback and returns a promise when none is given.
 * - Delta writes: `set` sends only the top-level keys the request changed or removed through
 *   `SessionStore.patch`, diffed against the stored form of the session as loaded, so two
 *   concurrent requests that change different keys both keep their change. New sessions go
 *   through `SessionStore.set`.
 * - `touch` (and a save that only moved the cookie expiry) writes only when the stored expiry was
 *   refreshed at least `touchAfterMs` ago, so a read-only request costs one store read.
 * - A sid that is not a valid sessionkit sid, a stored session that does not decode, or one with
 *   no `cookie` object is treated as absent (the last two logged once per sid).
 * - `failMode` decides what a request sees while the store is unreachable; see the README.
 *   Errors passed to callbacks carry `status` 503 (store down) or 400 (data that cannot be stored).
 *
 * @throws StoreConfigError for an invalid option.
 * @example
 * app.use(session({ store: new ExpressSessionStore(createStore('redis://127.0.0.1:6379')), secret, resave: false, saveUninitialized: false }));
 */
export class ExpressSessionStore extends Store {
  readonly store: SessionStore;
  readonly failMode: FailMode;
  readonly #tracker: SessionTracker;
  readonly #defaultTtlMs: number;
  /**
   * What each object was loaded or last saved as: the data object `get` returned (moved to the
   * session object in `createSession`), and each live session object.
   */
  readonly #loads = privateSlot<LoadedSession>();
  #generate: Generate | undefined;
  /** Set while handing express-session an absent session because the store is unreachable (failMode 'open'). */
  #detaching = false;

  constructor(store: SessionStore, options: ExpressSessionStoreOptions = {}) {
    super();
    this.store = store;
    this.#defaultTtlMs = defaultTtlOf(options);
    this.#tracker = new SessionTracker(store, {
      ...options,
      expiry: cookieExpiry(['expires']),
      accept: (data) =>
        isObject(data['cookie']) ? undefined : 'has no cookie object (not written through express-session)',
    });
    this.failMode = this.#tracker.failMode;
    // express-session stops loading sessions after 'disconnect' and serves requests without one:
    // that is failMode 'open'. In 'closed' mode it must keep calling get, which answers 503.
    this.#tracker.on('down', () => {
      if (this.failMode === 'open') this.emit('disconnect');
    });
    this.#tracker.on('up', () => this.emit('connect'));
  }

  /** True while the store is believed reachable (from its events and the outcome of the last call). */
  get available(): boolean {
    return this.#tracker.available;
  }

  /**
   * express-session installs its session factory here (`store.generate = …`). The wrapper refuses
   * new sessions with 503 in failMode 'closed' while the store is down, and detaches the session
   * it creates for a request whose load failed in failMode 'open': with no `req.sessionID`,
   * express-session neither saves it nor sends a cookie, so the user's cookie survives the outage.
   */
  get generate(): Generate {
    return (req) => {
      if (!this.#generate) throw new TypeError('ExpressSessionStore must be passed to express-session as `store`');
      if (this.failMode === 'closed' && !this.#tracker.available) throw this.#tracker.downError();
      this.#generate(req);
      if (this.#detaching) (req as { sessionID?: string }).sessionID = undefined;
    };
  }

  set generate(fn: Generate) {
    this.#generate = fn;
  }

  /**
   * Loads a session: the stored data, or `null` when absent, expired, undecodable or the sid is
   * invalid. Rejects with `StoreUnavailableError` (503) when the store is unreachable; with a
   * callback, failMode 'open' reports that as an absent session (see `generate`).
   */
  get(sid: string): Promise<SessionData | null>;
  get(sid: string, callback: Callback<SessionData | null>): void;
  // biome-ignore lint/suspicious/noConfusingVoidType: express-session's callback form returns nothing
  get(sid: string, callback?: Callback<SessionData | null>): Promise<SessionData | null> | void {
    const work = this.#tracker.load(sid);
    if (!callback)
      return work.then((load) => (load.degraded ? Promise.reject(this.#tracker.downError()) : this.#remember(load)));
    work.then(
      (load) => {
        // process.nextTick, not setImmediate as express-session's MemoryStore does: the response
        // is then written in the same loop phase as the store's reply, which measured less server
        // CPU per request on every store (bench/analysis.md, "Where the response is written").
        if (!load.degraded) return void process.nextTick(callback, null, this.#remember(load));
        // express-session calls generate() synchronously inside this callback.
        process.nextTick(() => {
          this.#detaching = true;
          try {
            callback(null, null);
          } finally {
            this.#detaching = false;
          }
        });
      },
      (err: unknown) => process.nextTick(callback, err),
    );
  }

  /**
   * Saves a session: through `patch` with only the changed top-level keys when it was loaded from
   * this store, through `set` when it is new. TTL from `cookie.expires` (`defaultTtlMs` without).
   * @throws SessionEncodeError / SessionTooLargeError / InvalidSessionIdError (status 400), StoreUnavailableError (503)
   */
  set(sid: string, sess: object): Promise<void>;
  set(sid: string, sess: object, callback: Callback<void>): void;
  set(sid: string, sess: object, callback?: Callback<void>): Promise<void> | void {
    return this.#saved(
      sess,
      this.#tracker.save(sid, sess, { ttlMs: this.#ttlOf(sess), load: this.#loads.get(sess) }),
      callback,
    );
  }

  /** Refreshes the stored expiry of an unmodified session, unless it was refreshed less than `touchAfterMs` ago. */
  override touch(sid: string, sess: object): Promise<void>;
  override touch(sid: string, sess: object, callback: Callback<void>): void;
  override touch(sid: string, sess: object, callback?: Callback<void>): Promise<void> | void {
    return this.#saved(
      sess,
      this.#tracker.refresh(sid, sess, { ttlMs: this.#ttlOf(sess), load: this.#loads.get(sess) }),
      callback,
    );
  }

  /** Removes a session; idempotent, and a no-op for an invalid sid (nothing can be stored under it). */
  destroy(sid: string): Promise<void>;
  destroy(sid: string, callback: Callback<void>): void;
  destroy(sid: string, callback?: Callback<void>): Promise<void> | void {
    return settle(this.#tracker.destroy(sid), callback);
  }

  /** express-session's `regenerate`, with a refusal from `generate` passed to the callback instead of thrown. */
  override regenerate(req: Request, callback: (err?: unknown) => void): void {
    this.destroy(req.sessionID, (err) => {
      try {
        this.generate(req);
      } catch (generateErr) {
        callback(generateErr);
        return;
      }
      callback(err);
    });
  }

  override createSession(req: Request, data: session.SessionData): LoadedExpressSession {
    const load = this.#loads.get(data);
    const created = super.createSession(req, data);
    if (load) this.#loads.set(created, load);
    return created;
  }

  /** Number of live sessions. */
  override length(): Promise<number>;
  override length(callback: Callback<number>): void;
  // biome-ignore lint/suspicious/noConfusingVoidType: express-session's callback form returns nothing
  override length(callback?: Callback<number>): Promise<number> | void {
    return settle(this.#tracker.observe(this.store.length()), callback);
  }

  /** Removes every session of the underlying store. */
  override clear(): Promise<void>;
  override clear(callback: Callback<void>): void;
  override clear(callback?: Callback<void>): Promise<void> | void {
    return settle(this.#tracker.observe(this.store.clear()), callback);
  }

  /** Every live session by sid. Loads them all: for large stores prefer {@link ids}. */
  override all(): Promise<Record<string, SessionData>>;
  override all(callback: Callback<Record<string, SessionData>>): void;
  // biome-ignore lint/suspicious/noConfusingVoidType: express-session's callback form returns nothing
  override all(callback?: Callback<Record<string, SessionData>>): Promise<Record<string, SessionData>> | void {
    const work = (async () => {
      const sessions: Record<string, SessionData> = {};
      for await (const sid of this.store.ids()) {
        const load = await this.#tracker.load(sid);
        if (load.data && !load.degraded) sessions[sid] = load.data;
      }
      return sessions;
    })();
    return settle(
      work.catch((err: unknown) => Promise.reject(withHttpStatus(err))),
      callback,
    );
  }

  /** Streams the sids of live sessions (`SessionStore.ids`). */
  ids(): AsyncIterable<string> {
    return this.store.ids();
  }

  #remember(load: LoadedSession): SessionData | null {
    if (load.data) this.#loads.set(load.data, load);
    return load.data;
  }

  /** Keeps what a save or refresh left stored next to the session object, then settles (see `settle`). */
  #saved(sess: object, work: Promise<SaveOutcome>, callback: Callback<void> | undefined): Promise<void> | void {
    return settle(
      work.then(({ load }) => void this.#loads.set(sess, load)),
      callback,
    );
  }

  #ttlOf(sess: object): number {
    const cookie = (sess as { cookie?: unknown }).cookie;
    return ttlFromCookie(isObject(cookie) ? (cookie as CookieExpiry) : undefined, this.#defaultTtlMs);
  }
}

function isObject(value: unknown): value is object {
  return typeof value === 'object' && value !== null;
}
