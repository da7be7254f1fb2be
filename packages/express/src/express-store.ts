import {
  changeBetween,
  dataOf,
  isSessionStoreError,
  isValidSessionId,
  StoreUnavailableError,
  ttlFromCookie,
  type CookieExpiry,
  type KeyTexts,
  keyTexts,
  storedKeyTexts,
  type SessionData,
  type SessionStore,
} from '@sessionkit/core';
import type { Request } from 'express';
import session from 'express-session';
import { Availability, isUnavailable } from './availability.js';
import { settle, type Callback } from './callback.js';
import { resolveOptions, type ExpressSessionStoreOptions, type FailMode, type ResolvedOptions } from './options.js';
import { RecentRefreshes } from './recent-refreshes.js';
import { onlyExpiryMoved, refreshedAtOf } from './snapshot.js';

const { Store } = session;

/** What a session looked like in the store when it was loaded or last written. */
interface Snapshot {
  sid: string;
  /** The JSON text of each top-level key; computed on first use, which a read-only request never reaches. */
  keys: () => KeyTexts;
  /** When the stored expiry was last refreshed (epoch ms), from the stored cookie; undefined for a browser-session cookie. */
  refreshedAt: number | undefined;
}

type LoadedSession = session.Session & session.SessionData;
type Generate = (req: Request) => void;

/** Most sids remembered for "warn once per sid"; the memory is bounded, the warnings may repeat after it fills. */
const WARNED_SIDS_MAX = 1000;

/**
 * An express-session `Store` over any sessionkit `SessionStore`.
 *
 * - Every method takes an optional Node-style callback and returns a promise when none is given.
 * - Delta writes: each top-level key of a loaded session is snapshotted (`createSession`); `set`
 *   sends only changed and removed keys through `SessionStore.patch`, so two concurrent requests
 *   that change different keys of one session both keep their change. New sessions go through
 *   `SessionStore.set`.
 * - `touch` (and a save that only moved the cookie expiry) writes only when the stored expiry was
 *   refreshed at least `touchAfterMs` ago, so a read-only request costs one store read.
 * - A sid that is not a valid sessionkit sid, or a stored session that does not decode
 *   (`SessionDecodeError`), is treated as absent (the latter logged once per sid).
 * - `failMode` decides what a request sees while the store is unreachable; see the README.
 */
export class ExpressSessionStore extends Store {
  readonly store: SessionStore;
  readonly failMode: FailMode;
  readonly #options: ResolvedOptions;
  readonly #availability: Availability;
  readonly #snapshots = new WeakMap<object, Snapshot>();
  readonly #refreshes = new RecentRefreshes();
  readonly #warned = new Set<string>();
  #generate: Generate | undefined;
  /** Set while handing express-session an absent session because the store is unreachable (failMode 'open'). */
  #detaching = false;

  /** @throws StoreConfigError for an invalid option. */
  constructor(store: SessionStore, options: ExpressSessionStoreOptions = {}) {
    super();
    this.store = store;
    this.#options = resolveOptions(options);
    this.failMode = this.#options.failMode;
    this.#availability = new Availability(store, this.#options.probeIntervalMs);
    // express-session stops loading sessions after 'disconnect' and serves requests without one:
    // that is failMode 'open'. In 'closed' mode it must keep calling get, which answers 503.
    this.#availability.on('down', () => {
      if (this.failMode === 'open') this.emit('disconnect');
    });
    this.#availability.on('up', () => this.emit('connect'));
  }

  /** True while the store is believed reachable (from its events and the outcome of the last call). */
  get available(): boolean {
    return this.#availability.isUp;
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
      if (this.failMode === 'closed' && !this.#availability.isUp) throw withHttpStatus(this.#downError());
      this.#generate(req);
      if (this.#detaching) (req as { sessionID?: string }).sessionID = undefined;
    };
  }

  set generate(fn: Generate) {
    this.#generate = fn;
  }

  /**
   * Loads a session: the stored data, or `null` when absent, expired, undecodable or the sid is
   * invalid. Rejects with `StoreUnavailableError` when the store is unreachable; with a callback,
   * failMode 'open' reports that as an absent session (see `generate`) and 'closed' passes the
   * error with `status` 503.
   */
  get(sid: string): Promise<SessionData | null>;
  get(sid: string, callback: Callback<SessionData | null>): void;
  get(sid: string, callback?: Callback<SessionData | null>): Promise<SessionData | null> | void {
    const work = this.#load(sid);
    if (!callback) return work;
    work.then(
      (data) => process.nextTick(callback, null, data),
      (err: unknown) => process.nextTick(() => this.#failLoad(err, callback)),
    );
  }

  /**
   * Saves a session: through `patch` with only the changed top-level keys when it was loaded from
   * this store, through `set` when it is new. TTL from `cookie.expires` (`defaultTtlMs` without).
   * @throws SessionEncodeError / SessionTooLargeError / InvalidSessionIdError / StoreUnavailableError
   */
  set(sid: string, sess: object): Promise<void>;
  set(sid: string, sess: object, callback: Callback<void>): void;
  set(sid: string, sess: object, callback?: Callback<void>): Promise<void> | void {
    return this.#settle(this.#save(sid, sess), callback);
  }

  /** Refreshes the stored expiry of an unmodified session, unless it was refreshed less than `touchAfterMs` ago. */
  override touch(sid: string, sess: object): Promise<void>;
  override touch(sid: string, sess: object, callback: Callback<void>): void;
  override touch(sid: string, sess: object, callback?: Callback<void>): Promise<void> | void {
    const work = (async () => this.#refresh(sid, sess, this.#snapshotOf(sid, sess)))();
    return this.#settle(work, callback);
  }

  /** Removes a session; idempotent, and a no-op for an invalid sid (nothing can be stored under it). */
  destroy(sid: string): Promise<void>;
  destroy(sid: string, callback: Callback<void>): void;
  destroy(sid: string, callback?: Callback<void>): Promise<void> | void {
    const work = (async () => {
      if (!isValidSessionId(sid)) return;
      this.#refreshes.delete(sid);
      await this.#availability.observe(this.store.destroy(sid));
    })();
    return this.#settle(work, callback);
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

  override createSession(req: Request, data: session.SessionData): LoadedSession {
    // Read before express-session replaces data.cookie with a Cookie and the request changes anything.
    const refreshedAt = refreshedAtOf(data.cookie);
    const stored = storedKeyTexts(data);
    const loaded = super.createSession(req, data);
    // Stores remember what they decoded a session from: the diff at save time starts from that,
    // so loading costs no snapshot. Other stores get one now.
    const keys = stored ? once(stored) : once(() => keyTexts(loaded));
    if (!stored) keys();
    this.#snapshots.set(loaded, { sid: req.sessionID, keys, refreshedAt });
    return loaded;
  }

  /** Number of live sessions. */
  override length(): Promise<number>;
  override length(callback: Callback<number>): void;
  override length(callback?: Callback<number>): Promise<number> | void {
    return this.#settle(this.#availability.observe(this.store.length()), callback);
  }

  /** Removes every session of the underlying store. */
  override clear(): Promise<void>;
  override clear(callback: Callback<void>): void;
  override clear(callback?: Callback<void>): Promise<void> | void {
    return this.#settle(this.#availability.observe(this.store.clear()), callback);
  }

  /** Every live session by sid. Loads them all: for large stores prefer {@link ids}. */
  override all(): Promise<Record<string, SessionData>>;
  override all(callback: Callback<Record<string, SessionData>>): void;
  override all(callback?: Callback<Record<string, SessionData>>): Promise<Record<string, SessionData>> | void {
    const work = (async () => {
      const sessions: Record<string, SessionData> = {};
      for await (const sid of this.store.ids()) {
        const data = await this.#load(sid);
        if (data) sessions[sid] = data;
      }
      return sessions;
    })();
    return this.#settle(work, callback);
  }

  /** Streams the sids of live sessions (`SessionStore.ids`). */
  ids(): AsyncIterable<string> {
    return this.store.ids();
  }

  async #load(sid: string): Promise<SessionData | null> {
    if (!isValidSessionId(sid)) return null;
    if (this.failMode === 'closed' && !this.#availability.isUp) throw this.#downError();
    let data: SessionData | null;
    try {
      data = await this.#availability.observe(this.store.get(sid));
    } catch (err) {
      if (!isSessionStoreError(err, 'ERR_SESSION_DECODE')) throw err;
      this.#warnOnce(sid, `stored session ${sid} does not decode; treating it as absent (${(err as Error).message})`);
      return null;
    }
    if (data && !isObject(data['cookie'])) {
      this.#warnOnce(sid, `stored session ${sid} has no cookie object (not written through express-session); treating it as absent`);
      return null;
    }
    return data;
  }

  #failLoad(err: unknown, callback: Callback<SessionData | null>): void {
    if (!isUnavailable(err) || this.failMode === 'closed') {
      callback(withHttpStatus(err));
      return;
    }
    // express-session calls generate() synchronously inside this callback.
    this.#detaching = true;
    try {
      callback(null, null);
    } finally {
      this.#detaching = false;
    }
  }

  async #save(sid: string, sess: object): Promise<void> {
    const current = keyTexts(sess);
    const ttlMs = this.#ttlOf(sess);
    const snapshot = this.#snapshotOf(sid, sess);
    if (!snapshot) {
      await this.#availability.observe(this.store.set(sid, dataOf(current), { ttlMs }));
      this.#snapshots.set(sess, { sid, keys: () => current, refreshedAt: refreshedAtOf(cookieOf(sess)) });
      this.#noteRefresh(sid, sess);
      return;
    }
    const loaded = snapshot.keys();
    const change = changeBetween(loaded, current);
    if (onlyExpiryMoved(change, loaded)) return this.#refresh(sid, sess, snapshot);
    await this.#availability.observe(this.store.patch(sid, change, { ttlMs }));
    snapshot.keys = () => current;
    snapshot.refreshedAt = refreshedAtOf(cookieOf(sess));
    this.#noteRefresh(sid, sess);
  }

  async #refresh(sid: string, sess: object, snapshot: Snapshot | undefined): Promise<void> {
    const cookie = cookieOf(sess);
    const browserSession = cookie?.expires == null;
    const lifetimeMs = typeof cookie?.originalMaxAge === 'number' ? cookie.originalMaxAge : this.#options.defaultTtlMs;
    const touchAfterMs = this.#options.touchAfterMs ?? lifetimeMs / 10;
    const refreshedAt = browserSession ? this.#refreshes.get(sid) : snapshot?.refreshedAt;
    if (refreshedAt !== undefined && Date.now() - refreshedAt < touchAfterMs) return;

    const ttlMs = this.#ttlOf(sess);
    if (browserSession || cookie === undefined) {
      await this.#availability.observe(this.store.touch(sid, { ttlMs }));
      this.#refreshes.set(sid, Date.now());
      return;
    }
    // Rewrite the cookie key rather than only extending the expiry, so the next load can read
    // from cookie.expires that the expiry was refreshed.
    await this.#availability.observe(this.store.patch(sid, { set: dataOf(keyTexts({ cookie })), unset: [] }, { ttlMs }));
    if (snapshot) snapshot.refreshedAt = refreshedAtOf(cookie);
  }

  #snapshotOf(sid: string, sess: object): Snapshot | undefined {
    const snapshot = this.#snapshots.get(sess);
    return snapshot?.sid === sid ? snapshot : undefined;
  }

  #ttlOf(sess: object): number {
    return ttlFromCookie(cookieOf(sess), this.#options.defaultTtlMs);
  }

  #noteRefresh(sid: string, sess: object): void {
    if (cookieOf(sess)?.expires == null) this.#refreshes.set(sid, Date.now());
  }

  #settle<T>(work: Promise<T>, callback: Callback<T> | undefined): Promise<T> | undefined {
    return settle(
      callback ? work.catch((err: unknown) => Promise.reject(withHttpStatus(err))) : work,
      callback,
    );
  }

  #downError(): Error {
    return new StoreUnavailableError(`session store ${this.store.name} is unavailable (failMode 'closed'); retrying in the background`);
  }

  #warnOnce(sid: string, message: string): void {
    if (this.#warned.has(sid)) return;
    if (this.#warned.size >= WARNED_SIDS_MAX) this.#warned.clear();
    this.#warned.add(sid);
    this.#options.logger.warn(`[sessionkit] ${message}`);
  }
}

/** `compute` run at most once, on first call. */
function once<T>(compute: () => T): () => T {
  let value: T | undefined;
  let done = false;
  return () => {
    if (!done) {
      value = compute();
      done = true;
    }
    return value as T;
  };
}

function cookieOf(sess: object): CookieExpiry | undefined {
  const cookie = (sess as { cookie?: unknown }).cookie;
  return isObject(cookie) ? (cookie as CookieExpiry) : undefined;
}

function isObject(value: unknown): value is object {
  return typeof value === 'object' && value !== null;
}

/**
 * Gives store errors the HTTP status Express's error handling answers with: 503 for
 * `StoreUnavailableError`; 400 for data the client sent that no store accepts
 * (`SessionEncodeError`, `SessionTooLargeError`, `InvalidSessionIdError`), which never marks the
 * store down.
 */
function withHttpStatus(err: unknown): unknown {
  if (isUnavailable(err)) return Object.assign(err as Error, { status: 503, statusCode: 503, expose: false });
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
