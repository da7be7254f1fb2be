import type { SessionData } from '@sessionkit/core';
import type { SessionCookie } from './session-cookie.js';

/** What a session object asks of the request it belongs to (a `RequestSession`). */
export interface SessionOwner<S extends object = CookieSession> {
  /** The request's session now: another object after `regenerate`, `undefined` after `destroy`. */
  readonly session: S | undefined;
  regenerate(session: S, callback: (err?: unknown) => void): void;
  destroy(session: S, callback: (err?: unknown) => void): void;
  save(session: S, callback: (err?: unknown) => void): void;
  reload(session: S, callback: (err?: unknown) => void): void;
  touch(session: S): void;
}

/** Keys that are the session object's own machinery, never session data. */
const RESERVED = new Set(['cookie', 'id']);

/**
 * `req.session` under `cookieSession`: the session's data as its own enumerable properties, and
 * express-session's methods, so code written for express-session (passport included) runs
 * unchanged. `id` is the session id inside the seal; it changes on `regenerate`.
 *
 * @example
 * app.post('/cart', (req, res) => {
 *   req.session.cart = [...(req.session.cart ?? []), req.body.sku];
 *   res.json(req.session.cart); // sealed into the response's Set-Cookie
 * });
 */
export class CookieSession {
  /** The session cookie: `maxAge`, `expires`, `originalMaxAge`, `path`, `httpOnly`, … */
  cookie: SessionCookie;
  declare readonly id: string;
  [key: string]: unknown;
  readonly #owner: SessionOwner;

  constructor(owner: SessionOwner, id: string, cookie: SessionCookie, data: SessionData) {
    this.#owner = owner;
    Object.defineProperty(this, 'id', { value: id, enumerable: false, configurable: true });
    this.cookie = cookie;
    assignData(this, data);
  }

  /** Replaces the session with a new, empty one under a new id (against session fixation); the old cookie stops being sent. */
  regenerate(callback: (err?: unknown) => void = noop): this {
    this.#owner.regenerate(this, callback);
    return this;
  }

  /** Ends the session: `req.session` goes away and the response clears the cookie. */
  destroy(callback: (err?: unknown) => void = noop): this {
    this.#owner.destroy(this, callback);
    return this;
  }

  /**
   * Seals the session now: the callback gets `SessionTooLargeError` / `SessionEncodeError` if it
   * cannot be, else it is the state the response sends (and `reload` returns to).
   */
  save(callback: (err?: unknown) => void = noop): this {
    this.#owner.save(this, callback);
    return this;
  }

  /** Returns the data to what was last saved in this request, or what the request's cookie held. */
  reload(callback: (err?: unknown) => void = noop): this {
    this.#owner.reload(this, callback);
    return this;
  }

  /** Restarts the cookie's lifetime; the response re-seals with a fresh expiry. */
  touch(): this {
    this.#owner.touch(this);
    return this;
  }

  /** Resets `cookie.maxAge` to `cookie.originalMaxAge` (express-session). */
  resetMaxAge(): this {
    this.cookie.maxAge = this.cookie.originalMaxAge;
    return this;
  }
}

/** The session's data: its own enumerable properties but `cookie` (and the other `reserved` names). */
export function dataOf(session: object, reserved: ReadonlySet<string> = RESERVED): SessionData {
  const data: SessionData = {};
  for (const key of Object.keys(session)) if (!reserved.has(key)) data[key] = (session as SessionData)[key];
  return data;
}

/** Copies `data` onto the session, leaving out `cookie`, `id` and the method names (as express-session does). */
export function assignData(session: object, data: SessionData, reserved: ReadonlySet<string> = RESERVED): void {
  for (const key of Object.keys(data)) {
    if (reserved.has(key) || key in session) continue;
    (session as SessionData)[key] = data[key];
  }
}

/** Removes every data property (for `reload`). */
export function clearData(session: object, reserved: ReadonlySet<string> = RESERVED): void {
  for (const key of Object.keys(session)) if (!reserved.has(key)) delete (session as SessionData)[key];
}

function noop(): void {}
