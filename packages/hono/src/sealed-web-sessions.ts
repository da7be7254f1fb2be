import {
  CookieSessionEngine,
  RequestSession,
  type CookieSessionOptions,
  type InvalidCookieEvent,
} from '@sessionkit/cookie';
import { HONO_FLAVOR, SealedSession, type SealedState } from './sealed-session.js';

/**
 * Sealed-cookie sessions for any fetch-style server, framework-free: `load(request)` opens the
 * session from the request's cookies (JWE, key rotation, chunks, revocation: `@sessionkit/cookie`),
 * and after the handler `commit(session)` returns the `Set-Cookie` header values to send: a new
 * seal when the session changed, was opened with an older key or its seal is older than
 * `touchAfterMs` (rolling); clearing lines after `destroy` or for a cookie that did not open;
 * nothing for a read that changed nothing.
 *
 * A cookie that does not open is a fresh session and one `invalid` event with the reason.
 *
 * @throws StoreConfigError for any bad option, before the first request.
 * @example
 * const sessions = new SealedWebSessions({ secrets: [process.env.SESSION_SECRET!], cookie: { maxAge: 30 * 60_000 } });
 * const session = await sessions.load(request);
 * session.set('views', (session.get<number>('views') ?? 0) + 1);
 * const response = Response.json({ views: session.get('views') });
 * for (const line of await sessions.commit(session)) response.headers.append('Set-Cookie', line);
 */
export class SealedWebSessions {
  readonly engine: CookieSessionEngine;
  readonly #requests = new WeakMap<SealedSession, RequestSession<SealedState>>();

  constructor(options: CookieSessionOptions) {
    this.engine = new CookieSessionEngine(options);
  }

  /**
   * The session of `request` (its `Cookie` header); new and empty when there is none or it does
   * not open. `secure` (for `cookie.secure: 'auto'`) defaults to the request URL being https.
   * Rejects, with `status` 503, only while the revocation store cannot be read under failMode 'closed'.
   */
  async load(request: Request | Headers, secure?: boolean): Promise<SealedSession> {
    const headers = request instanceof Headers ? request : request.headers;
    const incoming = await this.engine.begin(headers.get('cookie') ?? undefined);
    const https = secure ?? (request instanceof Request && request.url.startsWith('https:'));
    const requestSession = new RequestSession(this.engine, incoming, https, HONO_FLAVOR, noop);
    const session = new SealedSession(requestSession);
    this.#requests.set(session, requestSession);
    return session;
  }

  /**
   * The `Set-Cookie` header values for the response. Call once, after the handler.
   * @throws SessionTooLargeError (over `maxChunks` cookies; nothing to send, the previous cookie stays valid), SessionEncodeError
   */
  async commit(session: SealedSession): Promise<string[]> {
    const requestSession = this.#requests.get(session);
    if (!requestSession)
      throw new TypeError('commit() takes a session that load() of the same SealedWebSessions returned');
    this.#requests.delete(session);
    return requestSession.outcome().lines;
  }

  on(event: 'invalid', listener: (event: InvalidCookieEvent) => void): this {
    this.engine.on(event, listener);
    return this;
  }

  off(event: 'invalid', listener: (event: InvalidCookieEvent) => void): this {
    this.engine.off(event, listener);
    return this;
  }

  /** "Log out everywhere" for user `id` (needs `revocation`). @throws StoreConfigError without it; StoreUnavailableError when the store is down. */
  revokeUser(id: string | number): Promise<void> {
    return this.engine.revokeUser(id);
  }

  /** Closes the revocation store when it was created from a URL. */
  close(): Promise<void> {
    return this.engine.close();
  }
}

function noop(): void {}
