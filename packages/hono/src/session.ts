import {
  chooseStrategy,
  cookieStrategyOptions,
  destroyUserSessions,
  type CookieStrategyOptions,
  type CookieUrlOptions,
  type FrameworkCookieOptions,
  type InvalidCookieEvent,
  type SessionStrategyStore,
} from '@sessionkit/cookie';
import { DEFAULT_TTL_MS, type SessionStore } from '@sessionkit/core';
import type { MiddlewareHandler } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { sessionMiddleware } from './hono.js';
import type { SessionCookieOptions, WebSessionOptions } from './options.js';
import { SealedWebSessions } from './sealed-web-sessions.js';
import type { Session } from './session-api.js';

/** The context variables `session()` sets: `c.get('session')`, on either strategy. */
export interface SessionEnv {
  Variables: { session: Session };
}

export interface HonoSessionOptions extends WebSessionOptions, CookieStrategyOptions {
  /**
   * `'cookie://'`: the session travels sealed in the cookie (`@sessionkit/cookie`); query
   * parameters `compress`, `maxChunks`, `revocation` (a store URL, URL-encoded),
   * `revocationCacheMs`, `failMode` set those options. Any other URL: `createStore(url)` (its
   * adapter must be imported, as the `sessionkit` package does for all). A `SessionStore`: used as given.
   */
  store: SessionStrategyStore;
}

/** The middleware `session()` returns, with the strategy's controls. */
export type HonoSessionMiddleware = MiddlewareHandler<SessionEnv> & {
  /** `'cookie'` for `cookie://`, `'server'` for a store. */
  readonly strategy: 'cookie' | 'server';
  /** `'invalid'`: a session cookie did not open or was revoked (`cookie://` only). */
  on(event: 'invalid', listener: (event: InvalidCookieEvent) => void): HonoSessionMiddleware;
  off(event: 'invalid', listener: (event: InvalidCookieEvent) => void): HonoSessionMiddleware;
  /**
   * "Log out everywhere" for user `id`: `revokeUser` under `cookie://` (needs `revocation`),
   * `destroyByPrincipal` on stores that have it.
   * @throws StoreConfigError when neither applies; StoreUnavailableError when the store is down.
   */
  revokeUser(id: string | number): Promise<void>;
  /** Closes what `session()` created from a URL (the store, the revocation store); a store handed in stays open. */
  close(): Promise<void>;
};

/**
 * Hono sessions with one switch between strategies: `SESSION_STORE_URL` decides where sessions
 * live, and `c.get('session')` has the same methods either way ({@link Session}).
 *
 * - `cookie://`: sealed cookies from `@sessionkit/cookie` (JWE, key rotation, chunking under the
 *   4096-byte limit, revocation). A cookie that does not open is a fresh session (and an
 *   `invalid` event); a session too large for `maxChunks` cookies throws `SessionTooLargeError`
 *   to `app.onError` (Hono answers 500 by default), with nothing written.
 * - a store URL or `SessionStore`: {@link sessionMiddleware}, a signed sid cookie and only the
 *   changed keys written.
 *
 * Either way a store that cannot be read under failMode 'closed' is an `HTTPException` 503.
 *
 * @example
 * import { session, type SessionEnv } from 'sessionkit/hono'; // registers every store adapter
 * const app = new Hono<SessionEnv>();
 * app.use(session({
 *   store: process.env.SESSION_STORE_URL ?? 'cookie://', // 'redis://127.0.0.1:6379', 'cookie://?compress=true'
 *   secret: process.env.SESSION_SECRET!,                 // ≥ 32 characters
 *   cookie: { maxAgeMs: 30 * 60_000 },
 * }));
 * app.get('/', (c) => c.json({ views: c.get('session').get<number>('views') ?? 0 }));
 * @throws StoreConfigError at once for an unknown scheme, a bad `cookie://` parameter, a short secret or any bad option.
 */
export function session(options: HonoSessionOptions): HonoSessionMiddleware {
  const strategy = chooseStrategy(options);
  return strategy.kind === 'cookie'
    ? cookieStrategy(options, strategy.url)
    : serverStrategy(options, strategy.store, strategy.owned);
}

function cookieStrategy(options: HonoSessionOptions, url: CookieUrlOptions): HonoSessionMiddleware {
  const cookie: SessionCookieOptions = options.cookie ?? {};
  const sessions = new SealedWebSessions(
    cookieStrategyOptions(url, options, {
      secrets: typeof options.secret === 'string' ? [options.secret] : options.secret,
      name: cookie.name ?? 'sid',
      cookie: {
        maxAge: cookie.maxAgeMs === undefined ? DEFAULT_TTL_MS : cookie.maxAgeMs,
        path: cookie.path,
        domain: cookie.domain,
        httpOnly: cookie.httpOnly,
        secure: cookie.secure,
        sameSite: cookie.sameSite?.toLowerCase() as 'lax' | 'strict' | 'none' | undefined,
        partitioned: cookie.partitioned,
      },
      // As over a store, where every request may refresh the stored expiry (at most every touchAfterMs).
      rolling: true,
    } as FrameworkCookieOptions),
  );
  const middleware: MiddlewareHandler<SessionEnv> = async (c, next) => {
    const current = await sessions.load(c.req.raw).catch((err: unknown) => {
      // The revocation store cannot be read under failMode 'closed'.
      throw new HTTPException(503, { message: 'Session store unavailable', cause: err });
    });
    c.set('session', current);
    await next();
    // SessionTooLargeError goes to app.onError as it is: the app put too much in the session.
    for (const line of await sessions.commit(current)) c.header('Set-Cookie', line, { append: true });
  };
  const controls: HonoSessionMiddleware = Object.assign(middleware, {
    strategy: 'cookie' as const,
    on: (event: 'invalid', listener: (event: InvalidCookieEvent) => void) => {
      sessions.on(event, listener);
      return controls;
    },
    off: (event: 'invalid', listener: (event: InvalidCookieEvent) => void) => {
      sessions.off(event, listener);
      return controls;
    },
    revokeUser: (id: string | number) => sessions.revokeUser(id),
    close: () => sessions.close(),
  });
  return controls;
}

function serverStrategy(options: HonoSessionOptions, backing: SessionStore, owned: boolean): HonoSessionMiddleware {
  const {
    store: _store,
    maxChunks: _chunks,
    compress: _compress,
    revocation: _revocation,
    revocationCacheMs: _cache,
    ...webOptions
  } = options;
  const middleware = sessionMiddleware(backing, webOptions) as unknown as MiddlewareHandler<SessionEnv>;
  const controls: HonoSessionMiddleware = Object.assign(middleware, {
    strategy: 'server' as const,
    on: () => controls,
    off: () => controls,
    revokeUser: (id: string | number) => destroyUserSessions(backing, id),
    close: async () => {
      if (owned) await backing.close();
    },
  });
  return controls;
}
