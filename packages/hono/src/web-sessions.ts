import { randomBytes } from 'node:crypto';
import { SessionTracker, type ExpiryRule, type SessionData, type SessionStore } from '@sessionkit/core';
import { defaultTtlOf, resolveCookie, type ResolvedCookie, type WebSessionOptions } from './options.js';
import { CookieSigner, readCookie } from './signed-cookie.js';
import { WebSession, type SessionState } from './web-session.js';

/** Stored next to the data: when the stored expiry was last refreshed, epoch ms. Hidden from the session object. */
const REFRESHED_KEY = '_refreshedAt';

const EXPIRY: ExpiryRule = {
  keys: [REFRESHED_KEY],
  refreshedAt: (session) => {
    const at = (session as Record<string, unknown>)[REFRESHED_KEY];
    return typeof at === 'number' ? at : undefined;
  },
  onlyExpiry: (change) => change.unset.length === 0 && Object.keys(change.set).every((key) => key === REFRESHED_KEY),
};

/**
 * Sessions for any fetch-style server, framework-free: `load(request)` reads the signed cookie
 * and loads the session through the session tracker of `@sessionkit/core`; after the handler,
 * `commit(session)` saves what changed (a `patch` of the changed top-level keys, a throttled
 * expiry refresh, `set` for a new session, `destroy`) and returns the `Set-Cookie` header values
 * to send (none when nothing needs saying).
 *
 * A missing, badly signed or malformed cookie, an unknown sid, or a stored session that does not
 * decode (logged once) is a new session. Rejections carry `status` 503 (store down; failMode
 * 'closed', or a write while it is down) or 400 (data that cannot be stored).
 *
 * @throws StoreConfigError for invalid options.
 * @example
 * const sessions = new WebSessions(store, { secret: process.env.SESSION_SECRET });
 * const session = await sessions.load(request);
 * session.set('views', (session.get<number>('views') ?? 0) + 1);
 * const response = Response.json({ views: session.get('views') });
 * for (const line of await sessions.commit(session)) response.headers.append('Set-Cookie', line);
 */
export class WebSessions {
  readonly #tracker: SessionTracker;
  readonly #cookie: ResolvedCookie;
  readonly #signer: CookieSigner;
  readonly #ttlMs: number;
  readonly #states = new WeakMap<WebSession, SessionState>();

  constructor(store: SessionStore, options: WebSessionOptions) {
    this.#cookie = resolveCookie(options);
    this.#signer = new CookieSigner(this.#cookie.secrets);
    this.#ttlMs = this.#cookie.maxAgeMs ?? defaultTtlOf(options);
    const { secret: _secret, cookie: _cookie, defaultTtlMs: _ttl, ...trackerOptions } = options;
    this.#tracker = new SessionTracker(store, { ...trackerOptions, expiry: EXPIRY });
  }

  /** True while the store is believed reachable. */
  get available(): boolean {
    return this.#tracker.available;
  }

  /**
   * The session of `request` (its `Cookie` header): loaded when the cookie is validly signed and
   * names a stored session, else new and empty. Rejects only while the store is unreachable with
   * failMode 'closed' (`StoreUnavailableError`, status 503).
   */
  async load(request: Request | Headers): Promise<WebSession> {
    const headers = request instanceof Headers ? request : request.headers;
    const read = this.#signer.verify(readCookie(headers.get('cookie'), this.#cookie.name));
    const state: SessionState = {
      loadedSid: undefined,
      load: undefined,
      data: {},
      regenerate: false,
      destroy: false,
      resign: false,
    };
    if (read.state === 'valid') {
      const load = await this.#tracker.load(read.sid);
      if (load.data) {
        const { [REFRESHED_KEY]: _refreshed, ...data } = load.data;
        Object.assign(state, { loadedSid: read.sid, load, data, resign: read.rotated });
      }
    }
    const session = new WebSession(state);
    this.#states.set(session, state);
    return session;
  }

  /**
   * Saves `session` and returns the `Set-Cookie` header values for the response: the signed
   * cookie when the session was stored or its expiry moved, an expired cookie after `destroy`,
   * nothing otherwise (a new session with no keys is not stored).
   * @throws SessionEncodeError / SessionTooLargeError (status 400), StoreUnavailableError (503)
   */
  async commit(session: WebSession): Promise<string[]> {
    const state = this.#states.get(session);
    if (!state) throw new TypeError('commit() takes a session that load() of the same WebSessions returned');
    const { loadedSid } = state;
    if (loadedSid !== undefined && (state.destroy || state.regenerate) && !state.load?.degraded)
      await this.#tracker.destroy(loadedSid);
    if (state.destroy && Object.keys(state.data).length === 0) {
      this.#forget(state);
      return loadedSid === undefined ? [] : [this.#clearCookie()];
    }
    const fresh = loadedSid === undefined || state.destroy || state.regenerate;
    if (fresh && Object.keys(state.data).length === 0) return [];
    const sid = fresh ? newSid() : loadedSid;
    const current: SessionData = { ...state.data, [REFRESHED_KEY]: Date.now() };
    const outcome = await this.#tracker.save(sid, current, {
      ttlMs: this.#ttlMs,
      load: fresh ? undefined : state.load,
    });
    Object.assign(state, { loadedSid: sid, load: outcome.load, regenerate: false, destroy: false });
    if (outcome.write === 'none' && !fresh && !state.resign) return [];
    state.resign = false;
    return [this.#setCookie(sid)];
  }

  #forget(state: SessionState): void {
    Object.assign(state, { loadedSid: undefined, load: undefined, regenerate: false, destroy: false });
  }

  #setCookie(sid: string): string {
    const { name, attributes, maxAgeMs } = this.#cookie;
    const expiry =
      maxAgeMs === null
        ? ''
        : `; Max-Age=${Math.floor(maxAgeMs / 1000)}; Expires=${new Date(Date.now() + maxAgeMs).toUTCString()}`;
    return `${name}=${this.#signer.sign(sid)}${expiry}; ${attributes}`;
  }

  #clearCookie(): string {
    return `${this.#cookie.name}=; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT; ${this.#cookie.attributes}`;
  }
}

/** 32 characters of base64url from 24 random bytes (192 bits). */
function newSid(): string {
  return randomBytes(24).toString('base64url');
}
