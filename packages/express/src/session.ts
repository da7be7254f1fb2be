import {
  chooseStrategy,
  cookieSession,
  cookieStrategyOptions,
  defined,
  destroyUserSessions,
  type CookieOptions,
  type CookieSessionMiddleware,
  type CookieStrategyOptions,
  type CookieUrlOptions,
  type SessionStrategyStore,
} from '@sessionkit/cookie';
import type { SessionStore } from '@sessionkit/core';
import type { RequestHandler } from 'express';
import expressSession from 'express-session';
import { ExpressSessionStore } from './express-store.js';
import type { FailMode, SessionLogger } from './options.js';

export type { SessionStrategyStore };

export interface SessionOptions extends CookieStrategyOptions {
  /**
   * `'cookie://'`: the session travels sealed in the cookie (`cookieSession`); query parameters
   * `compress`, `maxChunks`, `revocation` (a store URL, URL-encoded), `revocationCacheMs`,
   * `failMode` set those options. Any other URL: `createStore(url)` (its adapter must be imported,
   * as the `sessionkit` package does for all). A `SessionStore`: used as given.
   */
  store: SessionStrategyStore;
  /**
   * Signs the sid cookie (express-session), or seals the cookie (`cookie://`, each at least 32
   * characters: the first seals, all open). Rotate by putting a new one first.
   */
  secret: string | string[];
  /** Cookie name. Default `'connect.sid'` for both strategies. */
  name?: string;
  /** As express-session's `cookie` option; the same defaults for both strategies (browser-session cookie, `path: '/'`, `httpOnly`). */
  cookie?: CookieOptions;
  rolling?: boolean;
  /** Default false (express-session's deprecated default is true). */
  saveUninitialized?: boolean;
  /** Server stores: default false. Ignored for `cookie://`, which never rewrites an unchanged session. */
  resave?: boolean;
  /** Refresh the expiry of an unchanged session at most this often (store touch, or cookie re-seal when `rolling`). Default 1/10 of the lifetime. */
  touchAfterMs?: number;
  /** Store (or revocation store) unreachable: `'open'` serves requests (server stores: without a session), `'closed'` answers 503. Default `'open'`. */
  failMode?: FailMode;
  /** Lifetime in ms of sessions whose cookie has no expiry. Default one day. */
  defaultTtlMs?: number;
  /** Server stores: express-session's `genid`. */
  genid?: (req: unknown) => string;
  /** Server stores: express-session's `proxy`. */
  proxy?: boolean;
  /** Server stores: express-session's `unset`. */
  unset?: 'destroy' | 'keep';
  logger?: SessionLogger;
}

/** The middleware `session()` returns: Express's handler plus the strategy's controls. */
export type SessionMiddleware = RequestHandler & {
  /** `'cookie'` for `cookie://`, `'server'` for a store. */
  readonly strategy: 'cookie' | 'server';
  /** The express-session store (server strategy). */
  readonly store: ExpressSessionStore | undefined;
  /** The cookieSession middleware (cookie strategy): `on('invalid', …)`, `sealer`. */
  readonly cookieSession: CookieSessionMiddleware | undefined;
  /**
   * "Log out everywhere" for user `id`: `revokeUser` under `cookie://` (needs `revocation`),
   * `destroyByPrincipal` on stores that have it.
   */
  revokeUser(id: string | number): Promise<void>;
  /** Closes what `session()` created from a URL (the store, the revocation store); a store handed in stays open. */
  close(): Promise<void>;
};

/**
 * One switch between session strategies: the same options, the same `req.session`, and
 * `SESSION_STORE_URL` decides where sessions live. `cookie://` seals them into the cookie
 * (`cookieSession` from `@sessionkit/cookie`); any other store URL or a `SessionStore` is
 * express-session with an `ExpressSessionStore`.
 *
 * @example
 * import { session } from 'sessionkit/express'; // registers every store adapter
 * app.use(session({
 *   store: process.env.SESSION_STORE_URL ?? 'cookie://', // 'redis://127.0.0.1:6379', 'postgres://…', 'cookie://?compress=true'
 *   secret: process.env.SESSION_SECRET!,                 // ≥ 32 characters for cookie://
 *   cookie: { maxAge: 30 * 60_000, sameSite: 'lax' },     // ms
 * }));
 * @throws StoreConfigError for an unknown scheme, a bad `cookie://` parameter, a short secret under `cookie://`, or any bad option.
 */
export function session(options: SessionOptions): SessionMiddleware {
  const strategy = chooseStrategy(options);
  if (strategy.kind === 'cookie') return cookieStrategy(options, strategy.url);
  return serverStrategy(options, strategy.store, strategy.owned);
}

function cookieStrategy(options: SessionOptions, url: CookieUrlOptions): SessionMiddleware {
  const middleware = cookieSession(
    cookieStrategyOptions(url, options, {
      secrets: typeof options.secret === 'string' ? [options.secret] : options.secret,
      name: options.name ?? 'connect.sid',
      cookie: { maxAge: null, ...options.cookie },
      ...defined({ rolling: options.rolling }),
    }),
  );
  // The cookieSession middleware already has revokeUser and close.
  return Object.assign(middleware as unknown as RequestHandler & Pick<SessionMiddleware, 'revokeUser' | 'close'>, {
    strategy: 'cookie' as const,
    store: undefined,
    cookieSession: middleware,
  });
}

function serverStrategy(options: SessionOptions, backing: SessionStore, owned: boolean): SessionMiddleware {
  const store = new ExpressSessionStore(
    backing,
    defined({
      touchAfterMs: options.touchAfterMs,
      failMode: options.failMode,
      defaultTtlMs: options.defaultTtlMs,
      logger: options.logger,
    }),
  );
  const handler = expressSession({
    store,
    secret: options.secret,
    resave: options.resave ?? false,
    saveUninitialized: options.saveUninitialized ?? false,
    ...defined({
      name: options.name,
      cookie: options.cookie,
      rolling: options.rolling,
      genid: options.genid,
      proxy: options.proxy,
      unset: options.unset,
    }),
  } as expressSession.SessionOptions);
  return Object.assign(handler, {
    strategy: 'server' as const,
    store,
    cookieSession: undefined,
    revokeUser: (id: string | number) => destroyUserSessions(backing, id),
    close: async () => {
      if (owned) await backing.close();
    },
  });
}
