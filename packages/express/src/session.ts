import { cookieSession, type CookieOptions, type CookieSessionMiddleware, type CookieSessionOptions } from '@sessionkit/cookie';
import { createStore, StoreConfigError, type SessionStore } from '@sessionkit/core';
import type { RequestHandler } from 'express';
import expressSession from 'express-session';
import { ExpressSessionStore } from './express-store.js';
import type { FailMode, SessionLogger } from './options.js';

/** Where sessions live: `'cookie://'` (sealed in the browser), a store URL, or a SessionStore. */
export type SessionStrategyStore = 'cookie://' | (string & {}) | SessionStore;

export interface SessionOptions {
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
  /** `cookie://`: most cookies one session may take. Default 3. */
  maxChunks?: number;
  /** `cookie://`: deflate the sealed payload when smaller. Default false. */
  compress?: boolean;
  /** `cookie://`: "log out everywhere" through a store (`revokeUser`). */
  revocation?: CookieSessionOptions['revocation'];
  /** `cookie://`: cache revocation answers this long, in ms. Default 0. */
  revocationCacheMs?: number;
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

const COOKIE_PARAMS = ['compress', 'maxChunks', 'revocation', 'revocationCacheMs', 'failMode'];

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
  if (typeof options !== 'object' || options === null || options.store === undefined) {
    throw new StoreConfigError("session() needs { store, secret }: store is 'cookie://', a store URL such as redis://127.0.0.1:6379, or a SessionStore");
  }
  const { store } = options;
  if (typeof store === 'string' && /^cookie:/i.test(store)) return cookieStrategy(options, store);
  return serverStrategy(options, store);
}

function cookieStrategy(options: SessionOptions, url: string): SessionMiddleware {
  const params = cookieParams(url);
  const cookie = { maxAge: null, ...options.cookie };
  const revocation = params.revocation ? { store: params.revocation } : options.revocation;
  const middleware = cookieSession({
    secrets: typeof options.secret === 'string' ? [options.secret] : options.secret,
    name: options.name ?? 'connect.sid',
    cookie,
    ...defined({
      rolling: options.rolling,
      saveUninitialized: options.saveUninitialized,
      touchAfterMs: options.touchAfterMs,
      defaultTtlMs: options.defaultTtlMs,
      maxChunks: params.maxChunks ?? options.maxChunks,
      compress: params.compress ?? options.compress,
      revocation,
      revocationCacheMs: params.revocationCacheMs ?? options.revocationCacheMs,
      failMode: params.failMode ?? options.failMode,
      logger: options.logger,
    }),
  } as CookieSessionOptions);
  // The cookieSession middleware already has revokeUser and close.
  return Object.assign(middleware as unknown as RequestHandler & Pick<SessionMiddleware, 'revokeUser' | 'close'>, {
    strategy: 'cookie' as const,
    store: undefined,
    cookieSession: middleware,
  });
}

function serverStrategy(options: SessionOptions, given: string | SessionStore): SessionMiddleware {
  const owned = typeof given === 'string';
  const backing = typeof given === 'string' ? createStore(given) : given;
  const store = new ExpressSessionStore(
    backing,
    defined({ touchAfterMs: options.touchAfterMs, failMode: options.failMode, defaultTtlMs: options.defaultTtlMs, logger: options.logger }),
  );
  const handler = expressSession({
    store,
    secret: options.secret,
    resave: options.resave ?? false,
    saveUninitialized: options.saveUninitialized ?? false,
    ...defined({ name: options.name, cookie: options.cookie, rolling: options.rolling, genid: options.genid, proxy: options.proxy, unset: options.unset }),
  } as expressSession.SessionOptions);
  return Object.assign(handler, {
    strategy: 'server' as const,
    store,
    cookieSession: undefined,
    revokeUser: async (id: string | number) => {
      const destroyByPrincipal = (backing as { destroyByPrincipal?: (id: string) => Promise<number> }).destroyByPrincipal;
      if (typeof destroyByPrincipal !== 'function') throw new StoreConfigError(`the ${backing.name} store cannot list a user's sessions (no destroyByPrincipal)`);
      await destroyByPrincipal.call(backing, String(id));
    },
    close: async () => {
      if (owned) await backing.close();
    },
  });
}

/** `cookie://?compress=true&maxChunks=2&revocation=redis%3A%2F%2F127.0.0.1%3A6379`. */
function cookieParams(url: string): { compress?: boolean; maxChunks?: number; revocation?: string; revocationCacheMs?: number; failMode?: FailMode } {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new StoreConfigError(`cookie store URL ${JSON.stringify(url)} does not parse; expected cookie:// or cookie://?compress=true&maxChunks=3`);
  }
  const out: ReturnType<typeof cookieParams> = {};
  for (const [key, value] of parsed.searchParams) {
    if (!COOKIE_PARAMS.includes(key)) throw new StoreConfigError(`cookie:// has no parameter ${JSON.stringify(key)}; known: ${COOKIE_PARAMS.join(', ')}`);
    if (key === 'compress') {
      if (!['true', 'false', '1', '0'].includes(value)) throw new StoreConfigError(`cookie://?compress= takes true or false, got ${JSON.stringify(value)}`);
      out.compress = value === 'true' || value === '1';
    } else if (key === 'maxChunks' || key === 'revocationCacheMs') {
      const number = Number(value);
      if (value === '' || !Number.isFinite(number)) throw new StoreConfigError(`cookie://?${key}= takes a number, got ${JSON.stringify(value)}`);
      out[key] = number;
    } else if (key === 'failMode') {
      out.failMode = value as FailMode;
    } else {
      out.revocation = value;
    }
  }
  return out;
}

/** The entries whose value is not undefined, so each strategy's own defaults apply. */
function defined<T extends Record<string, unknown>>(values: T): Partial<T> {
  return Object.fromEntries(Object.entries(values).filter(([, value]) => value !== undefined)) as Partial<T>;
}
