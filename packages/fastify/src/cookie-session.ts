import {
  assignData,
  clearData,
  dataOf,
  type SessionCookie,
  type SessionFlavor,
  type SessionOwner,
} from '@sessionkit/cookie';
import type { SessionData } from '@sessionkit/core';

type Callback = (err?: unknown) => void;

/** Data keys that are the session object's own machinery. */
const RESERVED = new Set(['cookie']);

/**
 * `request.session` under `session({ store: 'cookie://' })`: the surface of @fastify/session's
 * `Session`, so handlers written for it run unchanged on either strategy. Data are its own
 * properties (`get(key)` / `set(key, value)` or plain property access); `sessionId` is the id
 * inside the seal. `regenerate`, `destroy`, `save` and `reload` return a promise without a
 * callback, as @fastify/session's do.
 */
export class FastifyCookieSession {
  /** The session cookie: `maxAge` (ms, settable), `expires`, `originalMaxAge`, `path`, `httpOnly`, … */
  cookie: SessionCookie;
  declare readonly sessionId: string;
  [key: string]: unknown;
  readonly #owner: SessionOwner<FastifyCookieSession>;

  constructor(owner: SessionOwner<FastifyCookieSession>, id: string, cookie: SessionCookie, data: SessionData) {
    this.#owner = owner;
    Object.defineProperty(this, 'sessionId', { value: id, enumerable: false, configurable: true });
    this.cookie = cookie;
    assignData(this, data, RESERVED);
  }

  get<T = unknown>(key: string): T | undefined {
    return this[key] as T | undefined;
  }

  set(key: string, value: unknown): void {
    this[key] = value;
  }

  /**
   * A new, empty session under a new id (after a login, against session fixation); `request.session`
   * becomes the new one. Keys named in `ignoreFields` are carried over, as in @fastify/session.
   */
  regenerate(): Promise<void>;
  regenerate(ignoreFields: string[]): Promise<void>;
  regenerate(callback: Callback): void;
  regenerate(ignoreFields: string[], callback: Callback): void;
  regenerate(fieldsOrCallback?: string[] | Callback, callback?: Callback): Promise<void> | void {
    const fields = Array.isArray(fieldsOrCallback) ? fieldsOrCallback : [];
    const done = typeof fieldsOrCallback === 'function' ? fieldsOrCallback : callback;
    const kept = fields
      .filter((key) => !RESERVED.has(key) && Object.hasOwn(this, key))
      .map((key) => [key, this[key]] as const);
    return settle((cb) => {
      this.#owner.regenerate(this, (err) => {
        const next = this.#owner.session;
        if (next) for (const [key, value] of kept) next[key] = value;
        cb(err);
      });
    }, done);
  }

  /** Ends the session: `request.session` becomes `null` and the response clears the cookie. */
  destroy(): Promise<void>;
  destroy(callback: Callback): void;
  destroy(callback?: Callback): Promise<void> | void {
    return settle((cb) => this.#owner.destroy(this, cb), callback);
  }

  /** Seals now: rejects with `SessionTooLargeError` / `SessionEncodeError` when the session cannot be sealed. */
  save(): Promise<void>;
  save(callback: Callback): void;
  save(callback?: Callback): Promise<void> | void {
    return settle((cb) => this.#owner.save(this, cb), callback);
  }

  /** Returns the data to what was last saved in this request, or what the request's cookie held. */
  reload(): Promise<void>;
  reload(callback: Callback): void;
  reload(callback?: Callback): Promise<void> | void {
    return settle((cb) => this.#owner.reload(this, cb), callback);
  }

  /** Restarts the cookie's lifetime; the response re-seals with a fresh expiry. */
  touch(): void {
    this.#owner.touch(this);
  }
}

/** How a `RequestSession` makes and reads {@link FastifyCookieSession}s. */
export const FASTIFY_FLAVOR: SessionFlavor<FastifyCookieSession> = {
  create: (owner, id, cookie, data) => new FastifyCookieSession(owner, id, cookie, data),
  id: (session) => session.sessionId,
  cookie: (session) => session.cookie,
  data: (session) => dataOf(session, RESERVED),
  replace: (session, data) => {
    clearData(session, RESERVED);
    assignData(session, data, RESERVED);
  },
};

/** Runs `work`, answering `callback` when given, else a promise. */
function settle(work: (callback: Callback) => void, callback: Callback | undefined): Promise<void> | void {
  if (callback) return work(callback);
  return new Promise<void>((resolve, reject) => work((err) => (err ? reject(err) : resolve())));
}
