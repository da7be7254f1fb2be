import type { SessionData } from '@sessionkit/core';
import type { CookieSessionEngine, Incoming, Sealed } from './engine.js';
import type { SessionFlavor } from './flavor.js';
import type { CookieSession, SessionOwner } from './session.js';

/** What the response sends for the session: lines to append, and what they measure. */
export interface Outcome {
  lines: string[];
  /** Present when a session cookie is sent (or kept as it came): its size and chunk count. */
  sealed: Pick<Sealed, 'cookieBytes' | 'chunks' | 'sealedBytes'> | undefined;
}

/** A session's data (validated), its JSON text and its cookie's fingerprint. */
interface SessionState {
  data: SessionData;
  text: string;
  cookie: string;
}

/** A seal prepared by `save()` (or an info lookup), reused at the response if nothing changed since. */
interface Prepared {
  text: string;
  cookie: string;
  sealed: Sealed;
}

/**
 * One request's session, framework-free: created from what the request's cookies held (see
 * `CookieSessionEngine.begin`), it owns the session's lifecycle (regenerate, destroy, save,
 * reload, touch) and decides at response time what to send: nothing (a read that changed
 * nothing), a new seal (changed, rotated, rolling past `touchAfterMs`, or saved), or clearing
 * lines (destroyed, regenerated and left empty, invalid). `flavor` makes the session object the
 * framework's handlers see; `attach` hands it to the request (`undefined` after `destroy`).
 *
 * @example
 * const incoming = await engine.begin(request.headers.cookie);
 * const session = new RequestSession(engine, incoming, isHttps, EXPRESS_FLAVOR, (s) => (req.session = s));
 * // … the handler runs …
 * const { lines } = session.outcome(); // Set-Cookie lines; throws SessionTooLargeError with nothing to write
 */
export class RequestSession<S extends object = CookieSession> implements SessionOwner<S> {
  readonly #engine: CookieSessionEngine;
  readonly #incoming: Incoming;
  readonly #secure: boolean;
  readonly #flavor: SessionFlavor<S>;
  readonly #attach: (session: S | undefined) => void;
  #session: S | undefined;
  /** The session did not come from the request's cookie (new, or regenerated). */
  #fresh: boolean;
  /** The request's cookie must go when nothing replaces it (destroyed, regenerated, invalid). */
  #discardIncoming: boolean;
  /** JSON of the data, and the cookie's fingerprint, as the request's cookie held them. */
  readonly #loadedText: string;
  readonly #loadedCookie: string;
  /** What `reload` returns to: the last `save()` in this request, else the request's cookie. */
  #committed: SessionData;
  /** When the session was issued; `undefined` for a new one: issued by its first seal. */
  #authTimeMs: number | undefined;
  /** The user the session was issued for; computed when a seal needs it (`null`: not yet). */
  #principal: string | undefined | null;
  #forceWrite = false;
  #prepared: Prepared | undefined;

  constructor(
    engine: CookieSessionEngine,
    incoming: Incoming,
    secure: boolean,
    flavor: SessionFlavor<S>,
    attach: (session: S | undefined) => void,
  ) {
    this.#engine = engine;
    this.#incoming = incoming;
    this.#secure = secure;
    this.#flavor = flavor;
    this.#attach = attach;
    const seal = incoming.kind === 'opened' ? incoming.seal : undefined;
    this.#fresh = !seal;
    this.#discardIncoming = incoming.kind === 'invalid' || (incoming.kind === 'absent' && incoming.present.length > 0);
    const data = seal?.claims.s ?? {};
    this.#committed = data;
    const cookie = engine.cookieFor(seal);
    this.#loadedText = seal ? (seal.dataText ?? JSON.stringify(data)) : '{}';
    this.#loadedCookie = cookie.fingerprint();
    this.#authTimeMs = seal ? Math.round(seal.claims.auth_time * 1000) : undefined;
    this.#principal = seal ? null : undefined;
    this.#session = flavor.create(this, seal?.claims.jti || engine.newId(), cookie, data);
    attach(this.#session);
  }

  get session(): S | undefined {
    return this.#session;
  }

  /** True while the session is the one the request's cookie held (not new, regenerated or destroyed). */
  get fromCookie(): boolean {
    return !this.#fresh;
  }

  regenerate(_session: S, callback: (err?: unknown) => void): void {
    this.#startOver();
    this.#session = this.#flavor.create(this, this.#engine.newId(), this.#engine.cookieFor(undefined), {});
    this.#attach(this.#session);
    process.nextTick(callback);
  }

  destroy(_session: S, callback: (err?: unknown) => void): void {
    this.#startOver();
    this.#session = undefined;
    this.#attach(undefined);
    process.nextTick(callback);
  }

  save(session: S, callback: (err?: unknown) => void): void {
    let failure: unknown;
    try {
      if (session === this.#session) {
        this.#committed = JSON.parse(this.#prepare(session).text) as SessionData;
        this.#forceWrite = true;
      }
    } catch (err) {
      failure = err;
    }
    process.nextTick(callback, failure);
  }

  reload(session: S, callback: (err?: unknown) => void): void {
    this.#flavor.replace(session, structuredClone(this.#committed));
    process.nextTick(callback);
  }

  touch(session: S): void {
    const cookie = this.#flavor.cookie(session);
    cookie.maxAge = cookie.originalMaxAge;
    this.#forceWrite = true;
  }

  /**
   * What the response sends. Called once, before the response headers go out.
   * @throws SessionTooLargeError / SessionEncodeError when the session cannot be sealed; nothing is sent then.
   */
  outcome(nowMs = Date.now()): Outcome {
    const session = this.#session;
    if (!session) return this.#discard();
    const state = this.#stateOf(session);
    if (!this.#mustWrite(state, nowMs)) {
      if (this.#fresh) return this.#discard();
      return { lines: [], sealed: this.#kept() };
    }
    const sealed = this.#sealOf(session, state, nowMs);
    return { lines: sealed.lines, sealed };
  }

  /** The size of the cookie this response will send (sealing now if it will send one), or of the one kept. */
  info(): Pick<Sealed, 'cookieBytes' | 'chunks' | 'sealedBytes'> | undefined {
    const session = this.#session;
    if (!session) return undefined;
    const state = this.#stateOf(session);
    if (this.#mustWrite(state, Date.now())) return this.#sealOf(session, state, Date.now());
    return this.#fresh ? undefined : this.#kept();
  }

  /** Seals now (for `save()`); the response reuses the seal while the session stays unchanged. */
  #prepare(session: S): Prepared {
    this.#sealOf(session, this.#stateOf(session), Date.now());
    return this.#prepared!;
  }

  /** The session's data as validated JSON, and its cookie's fingerprint. @throws SessionEncodeError */
  #stateOf(session: S): SessionState {
    const data = this.#flavor.data(session);
    return { data, text: this.#engine.encodeData(data), cookie: this.#flavor.cookie(session).fingerprint() };
  }

  /** The request's cookie, kept as it came. */
  #kept(): Outcome['sealed'] {
    const incoming = this.#incoming;
    return incoming.kind === 'opened'
      ? { cookieBytes: incoming.bytes, chunks: incoming.seal.chunks, sealedBytes: 0 }
      : undefined;
  }

  #sealOf(session: S, state: SessionState, nowMs: number): Sealed {
    const prepared = this.#prepared;
    if (prepared && prepared.text === state.text && prepared.cookie === state.cookie) return prepared.sealed;
    // With revocation, a session whose user changed (signed in without regenerate) is issued
    // anew: a revocation of the user that came before does not apply to it.
    if (this.#engine.revocation) {
      const principal = this.#engine.principalOf(state.data);
      if (this.#principal === null)
        this.#principal = this.#engine.principalOf(JSON.parse(this.#loadedText) as SessionData);
      if (principal !== this.#principal) {
        this.#authTimeMs = nowMs;
        this.#principal = principal;
      }
    }
    const sealed = this.#engine.seal(
      {
        dataText: state.text,
        cookie: this.#flavor.cookie(session),
        jti: this.#flavor.id(session),
        authTimeMs: (this.#authTimeMs ??= nowMs),
        secure: this.#secure,
      },
      this.#incoming.present,
      nowMs,
    );
    this.#prepared = { text: state.text, cookie: state.cookie, sealed };
    return sealed;
  }

  #mustWrite({ text, cookie }: SessionState, nowMs: number): boolean {
    const { saveUninitialized, rolling, touchAfterMs } = this.#engine.options;
    if (this.#fresh) return text !== '{}' || saveUninitialized;
    const incoming = this.#incoming;
    if (incoming.kind !== 'opened') return true;
    if (this.#forceWrite || incoming.seal.rotated) return true;
    if (text !== this.#loadedText || cookie !== this.#loadedCookie) return true;
    return rolling && nowMs - incoming.seal.claims.iat * 1000 >= touchAfterMs;
  }

  /** Nothing to keep: clear the request's cookies if they must go. */
  #discard(): Outcome {
    const incoming = this.#incoming;
    if (!this.#discardIncoming || incoming.present.length === 0) return { lines: [], sealed: undefined };
    return {
      lines: this.#engine.clear(incoming.present, this.#engine.cookieFor(undefined), this.#secure),
      sealed: undefined,
    };
  }

  /** After regenerate/destroy: a new session that starts empty; the old cookie goes unless replaced. */
  #startOver(): void {
    this.#fresh = true;
    this.#discardIncoming = true;
    this.#committed = {};
    this.#forceWrite = false;
    this.#prepared = undefined;
    this.#authTimeMs = undefined;
    this.#principal = undefined;
  }
}
