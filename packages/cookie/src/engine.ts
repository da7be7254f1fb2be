import { EventEmitter } from 'node:events';
import { randomBytes } from 'node:crypto';
import { encodeSession, StoreConfigError, type SessionData } from '@sessionkit/core';
import { numericDate, type CookieOverrides, type SealClaims } from './claims.js';
import { MAX_SET_COOKIE_BYTES, chunkCapacity, chunkName, splitIntoChunks } from './chunks.js';
import { sealTooLarge } from './errors.js';
import { resolveOptions, type CookieSessionOptions, type ResolvedOptions } from './options.js';
import { isRejected, type InvalidCookieEvent, type InvalidReason } from './reasons.js';
import { defaultPrincipal, Revocation, type RevocationVerdict } from './revocation.js';
import { CookieSealer, type OpenedSeal } from './sealer.js';
import { SessionCookie } from './session-cookie.js';
import { clearingLine, readSessionCookies, serializeAttributes } from './set-cookie.js';

/** What a request's cookies held. */
export type Incoming =
  | { kind: 'absent'; present: string[]; bytes: number }
  | { kind: 'invalid'; reason: InvalidReason; present: string[]; bytes: number }
  | { kind: 'opened'; seal: OpenedSeal; present: string[]; bytes: number };

/** What one session seals to: the Set-Cookie lines and their size as the browser sends them back. */
export interface Sealed {
  lines: string[];
  /** Bytes of `name=value` pairs the browser sends back in its Cookie header (chunks joined by `; `). */
  cookieBytes: number;
  chunks: number;
  /** Length of the JWE before chunking. */
  sealedBytes: number;
}

/** A session to seal: data, cookie, identity. */
export interface SealInput {
  /** The session data as JSON text (from `encodeData`). */
  dataText: string;
  cookie: SessionCookie;
  jti: string;
  authTimeMs: number;
  /** The request came over HTTPS (for `secure: 'auto'`). */
  secure: boolean;
}

/**
 * The framework-free core of `cookieSession`: options, sealer, revocation and the `invalid`
 * event, shared by every request. Framework mappings (Express here) only move headers.
 */
export class CookieSessionEngine extends EventEmitter {
  readonly options: ResolvedOptions;
  readonly sealer: CookieSealer;
  readonly revocation: Revocation | undefined;
  readonly #principal: (data: SessionData) => string | undefined;
  #warnedUnavailable = false;
  #attributeCache: { key: string; text: string } | undefined;

  /** @throws StoreConfigError for any bad option, before the first request. */
  constructor(options: CookieSessionOptions) {
    super();
    this.options = resolveOptions(options);
    this.sealer = new CookieSealer(options);
    this.revocation = options.revocation
      ? new Revocation(options.revocation, this.options.lifetimeMs, this.options.revocationCacheMs)
      : undefined;
    const revocation = this.revocation;
    this.#principal = revocation
      ? (data) => revocation.principalOf(data)
      : (data) => {
          const id = defaultPrincipal(data);
          return id === undefined ? undefined : String(id);
        };
  }

  get name(): string {
    return this.options.name;
  }

  /** Reads and opens the session cookies of a Cookie header. Never throws for what a client sent. */
  read(cookieHeader: string | undefined, nowMs = Date.now()): Incoming {
    const { values, bytes } = readSessionCookies(cookieHeader, this.options.name);
    const present = [...values.keys()];
    if (!values.has(this.options.name)) return { kind: 'absent', present, bytes };
    // More than maxChunks full cookies can hold is refused unread (a 20 KB header, planted chunks).
    if (bytes > this.sealer.maxChunks * MAX_SET_COOKIE_BYTES)
      return { kind: 'invalid', reason: 'too-large', present, bytes };
    const seal = this.sealer.openChunks(values, this.options.name, nowMs);
    if (isRejected(seal)) return { kind: 'invalid', reason: seal.rejected, present, bytes };
    return { kind: 'opened', seal, present, bytes };
  }

  /**
   * What a request's session starts from: its cookies read and opened and, with `revocation`, the
   * opened session's user checked. An invalid or revoked cookie is reported once (`invalid`) and
   * starts a fresh session. Synchronous unless a revocation read is needed, so requests without a
   * signed-in user never wait for a promise. Every framework mapping starts its requests here.
   *
   * While the revocation store cannot be read, `failMode` decides: `'open'` accepts the cookie
   * (warned once through the logger), `'closed'` rejects with the store's error carrying
   * `status` / `statusCode` 503 and `expose: false`, for the framework's error path.
   */
  begin(cookieHeader: string | undefined, nowMs = Date.now()): Incoming | Promise<Incoming> {
    const incoming = this.read(cookieHeader, nowMs);
    if (incoming.kind === 'invalid') this.reportInvalid(incoming.reason);
    if (incoming.kind !== 'opened' || !this.revocation) return incoming;
    return this.checkRevocation(incoming.seal).then(
      (verdict): Incoming => {
        if (verdict === 'valid') return incoming;
        this.reportInvalid('revoked');
        return { kind: 'invalid', reason: 'revoked', present: incoming.present, bytes: incoming.bytes };
      },
      (err: unknown): Incoming => {
        if (this.options.failMode === 'closed') throw withStatus503(err);
        if (!this.#warnedUnavailable) {
          this.#warnedUnavailable = true;
          this.options.logger.warn(
            `[sessionkit] revocation store unavailable, accepting session cookies unchecked (failMode 'open'): ${(err as Error).message}`,
          );
        }
        return incoming;
      },
    );
  }

  /** Whether the opened session's user was revoked since it was issued; no principal, no read. */
  async checkRevocation(seal: OpenedSeal): Promise<RevocationVerdict> {
    if (!this.revocation) return 'valid';
    const principal = this.revocation.principalOf(seal.claims.s);
    if (principal === undefined) return 'valid';
    return this.revocation.check(principal, Math.round(seal.claims.auth_time * 1000));
  }

  /** Reports an invalid cookie once: the reason and the cookie's name, never its content. */
  reportInvalid(reason: InvalidReason): void {
    this.emit('invalid', { reason, name: this.options.name } satisfies InvalidCookieEvent);
  }

  principalOf(data: SessionData): string | undefined {
    return this.#principal(data);
  }

  /** The cookie of a session opened from `seal`, or of a new session when `seal` is undefined. */
  cookieFor(seal: OpenedSeal | undefined): SessionCookie {
    const { attributes, maxAge, expires } = this.options;
    if (!seal) {
      const cookie = new SessionCookie(attributes, maxAge, maxAge === null ? null : new Date(Date.now() + maxAge));
      if (expires) cookie.expires = expires;
      return cookie;
    }
    return SessionCookie.fromOverrides(attributes, maxAge, seal.claims.c, new Date(seal.claims.exp * 1000));
  }

  /** A new session id (the `jti` claim): 12 random bytes, base64url. */
  newId(): string {
    return randomBytes(12).toString('base64url');
  }

  /** The JSON text of session data, validated as every store validates it. @throws SessionEncodeError */
  encodeData(data: SessionData): string {
    return encodeSession(data);
  }

  /** Cookie overrides of a session as JSON text ('' when none), to tell whether they changed. */
  overridesOf(cookie: SessionCookie): CookieOverrides | undefined {
    return cookie.overrides(this.options.attributes, this.options.maxAge);
  }

  /**
   * Seals a session into Set-Cookie lines (chunks as needed), clearing `present` chunks it no
   * longer uses. Restarts the cookie's lifetime (`maxAge` from now), as express-session does on
   * every cookie it sets.
   * @throws SessionTooLargeError when it needs more than `maxChunks` cookies; nothing is returned to write.
   */
  seal(input: SealInput, present: readonly string[], nowMs = Date.now()): Sealed {
    const { cookie } = input;
    if (cookie.originalMaxAge !== null) cookie.maxAge = cookie.originalMaxAge;
    const expires = cookie.expires;
    const expMs = expires ? expires.getTime() : nowMs + this.options.defaultTtlMs;
    const overrides = this.overridesOf(cookie);
    const iat = numericDate(nowMs);
    const authTime = numericDate(input.authTimeMs);
    const claims: SealClaims = {
      iat,
      exp: numericDate(expMs),
      // Left out when it equals iat (a session issued by this seal): 35 bytes less in the cookie.
      ...(authTime === iat ? {} : { auth_time: authTime }),
      jti: input.jti,
      ...(overrides ? { c: overrides } : {}),
    };
    const sealed = this.sealer.sealText(claims, input.dataText);
    const name = this.options.name;
    const secure = cookie.secure === 'auto' ? input.secure : cookie.secure;
    const attributes = this.#attributesOf(cookie, overrides, expires, secure);
    const values = splitIntoChunks(sealed, name, attributes.length, this.sealer.maxChunks);
    if (!values)
      throw sealTooLarge(
        sealed.length,
        chunkCapacity(name, attributes.length, this.sealer.maxChunks),
        this.sealer.maxChunks,
        'cookies',
      );
    const lines = values.map((value, index) => `${chunkName(name, index)}=${value}${attributes}`);
    const written = new Set(values.map((_, index) => chunkName(name, index)));
    for (const stale of present) if (!written.has(stale)) lines.push(clearingLine(stale, cookie.attributes, secure));
    const cookieBytes =
      values.reduce((sum, value, index) => sum + chunkName(name, index).length + 1 + value.length, 0) +
      2 * (values.length - 1);
    return { lines, cookieBytes, chunks: values.length, sealedBytes: sealed.length };
  }

  /**
   * The attribute text of a Set-Cookie line. The configured attributes (no per-session overrides)
   * are formatted once per second of `Expires`, which is all the precision the attribute has.
   */
  #attributesOf(
    cookie: SessionCookie,
    overrides: CookieOverrides | undefined,
    expires: Date | null,
    secure: boolean,
  ): string {
    if (overrides) return serializeAttributes(cookie.attributes, expires, secure);
    const key = `${expires ? Math.floor(expires.getTime() / 1000) : 'session'}|${secure}`;
    const cached = this.#attributeCache;
    if (cached?.key === key) return cached.text;
    const text = serializeAttributes(this.options.attributes, expires, secure);
    this.#attributeCache = { key, text };
    return text;
  }

  /** Set-Cookie lines that remove every cookie in `present`. */
  clear(present: readonly string[], cookie: SessionCookie, secure: boolean): string[] {
    const isSecure = cookie.secure === 'auto' ? secure : cookie.secure;
    return present.map((name) => clearingLine(name, cookie.attributes, isSecure));
  }

  /** Records "not before now" for user `id` (see {@link Revocation.revoke}). */
  async revokeUser(id: string | number): Promise<void> {
    if (!this.revocation) {
      throw new StoreConfigError(
        'revokeUser needs the revocation option: cookieSession({ secrets, revocation: { store } }) with a SessionStore or a store URL',
      );
    }
    await this.revocation.revoke(id);
  }

  /** Releases the revocation store when it was created from a URL. */
  async close(): Promise<void> {
    await this.revocation?.close();
  }
}

/** The revocation state is unknown (failMode 'closed'): the framework's error path answers 503, without internals. */
function withStatus503(err: unknown): Error {
  const error = err instanceof Error ? err : new Error(String(err));
  return Object.assign(error, { status: 503, statusCode: 503, expose: false });
}
