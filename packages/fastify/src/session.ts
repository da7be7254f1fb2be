import {
  chooseStrategy,
  CookieSessionEngine,
  cookieStrategyOptions,
  defined,
  destroyUserSessions,
  RequestSession,
  type CookieOptions,
  type CookieStrategyOptions,
  type CookieUrlOptions,
  type InvalidCookieEvent,
  type SessionStrategyStore,
} from '@sessionkit/cookie';
import type { FailMode, SessionLogger, SessionStore } from '@sessionkit/core';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { FASTIFY_FLAVOR, type FastifyCookieSession } from './cookie-session.js';
import { FastifySessionStore } from './fastify-store.js';

export interface FastifySessionOptions extends CookieStrategyOptions {
  /**
   * `'cookie://'`: the session travels sealed in the cookie (`@sessionkit/cookie`); query
   * parameters `compress`, `maxChunks`, `revocation` (a store URL, URL-encoded),
   * `revocationCacheMs`, `failMode` set those options. Any other URL: `createStore(url)` (its
   * adapter must be imported, as the `sessionkit` package does for all) under @fastify/session.
   * A `SessionStore`: used as given under @fastify/session.
   */
  store: SessionStrategyStore;
  /**
   * Signs the sid cookie (@fastify/session) or seals the cookie (`cookie://`); each at least 32
   * characters. An array rotates: the first signs or seals, all verify or open.
   */
  secret: string | string[];
  /** Cookie name. Default `'sessionId'` (as @fastify/session) for both strategies. */
  cookieName?: string;
  /**
   * The cookie's attributes, as @fastify/session's `cookie` option (`maxAge` in ms). The same
   * defaults for both strategies: a browser-session cookie (`maxAge` none), `path: '/'`,
   * `httpOnly`, `secure: 'auto'` (Secure when the request came over HTTPS), `sameSite: 'lax'`.
   */
  cookie?: CookieOptions;
  /** Save or seal the session on every request, as @fastify/session does (stored expiry or seal refreshed at most every `touchAfterMs`). Default true. */
  rolling?: boolean;
  /** Store or send a session that holds nothing. Default false. */
  saveUninitialized?: boolean;
  /** Refresh an unchanged session's stored expiry, or re-seal it, at most this often, ms. Default 1/10 of the lifetime. */
  touchAfterMs?: number;
  /** Store (or revocation store) unreachable: `'open'` serves requests, `'closed'` answers 503. Default `'open'`. */
  failMode?: FailMode;
  /** Lifetime in ms of sessions whose cookie has no expiry. Default one day. */
  defaultTtlMs?: number;
  /** Server stores: while the store is unreachable, probe it with one read this often, ms. Default 1000. */
  probeIntervalMs?: number;
  /** Default `console`. */
  logger?: SessionLogger;
}

/** The plugin `session()` returns (pass it to `app.register`), with the strategy's controls. */
export interface FastifySessionPlugin {
  (fastify: FastifyInstance): Promise<void>;
  /** `'cookie'` for `cookie://`, `'server'` for a store. */
  readonly strategy: 'cookie' | 'server';
  /** The @fastify/session store (server strategy). */
  readonly store: FastifySessionStore | undefined;
  /** `'invalid'`: a session cookie did not open or was revoked (`cookie://` only; never fires for a server store). */
  on(event: 'invalid', listener: (event: InvalidCookieEvent) => void): this;
  off(event: 'invalid', listener: (event: InvalidCookieEvent) => void): this;
  /**
   * "Log out everywhere" for user `id`: `revokeUser` under `cookie://` (needs `revocation`),
   * `destroyByPrincipal` on stores that have it.
   * @throws StoreConfigError when neither applies; StoreUnavailableError when the store is down.
   */
  revokeUser(id: string | number): Promise<void>;
  /** Closes what `session()` created from a URL (the store, the revocation store); also runs when the Fastify app closes. */
  close(): Promise<void>;
}

/** Where a request keeps its sealed-cookie session between `onRequest` and `onSend`. */
const REQUEST_SESSION = Symbol('sessionkit.fastify.request-session');
/** The request's slots under `cookie://` (@fastify/session's typings, when loaded, declare `session` as its own). */
type CookieSlots = {
  session: FastifyCookieSession | null;
  [REQUEST_SESSION]?: RequestSession<FastifyCookieSession> | undefined;
};
const slots = (request: FastifyRequest) => request as unknown as CookieSlots;

/**
 * Sessions for Fastify with one switch between strategies: `SESSION_STORE_URL` decides where
 * sessions live, and `request.session` has @fastify/session's surface either way.
 *
 * - `cookie://`: sealed cookies from `@sessionkit/cookie` (JWE, key rotation, chunking under the
 *   4096-byte limit, revocation), without @fastify/session. A cookie that does not open is a fresh
 *   session (and an `invalid` event); a session too large for `maxChunks` cookies is a
 *   `SessionTooLargeError` for Fastify's error handler (500 by default), with nothing written.
 * - a store URL or `SessionStore`: @fastify/session with a {@link FastifySessionStore}, which
 *   writes only the changed keys. Register `@fastify/cookie` first, as @fastify/session requires.
 *
 * The plugin is not encapsulated: `request.session` exists in every route of the app.
 *
 * @example
 * import fastifyCookie from '@fastify/cookie';
 * import { session } from 'sessionkit/fastify'; // registers every store adapter
 * app.register(fastifyCookie);
 * app.register(session({
 *   store: process.env.SESSION_STORE_URL ?? 'cookie://', // 'redis://127.0.0.1:6379', 'cookie://?compress=true'
 *   secret: process.env.SESSION_SECRET!,                 // ≥ 32 characters
 *   cookie: { maxAge: 30 * 60_000 },                      // ms
 * }));
 * app.get('/', async (request) => ({ views: (request.session.views = Number(request.session.views ?? 0) + 1) }));
 * @throws StoreConfigError at once for an unknown scheme, a bad `cookie://` parameter, a short secret or any bad option.
 */
export function session(options: FastifySessionOptions): FastifySessionPlugin {
  const strategy = chooseStrategy(options);
  const plugin =
    strategy.kind === 'cookie'
      ? cookieStrategy(options, strategy.url)
      : serverStrategy(options, strategy.store, strategy.owned);
  // Not encapsulated (as fastify-plugin does): the decoration and hooks apply to the whole app.
  Object.assign(plugin, {
    [Symbol.for('skip-override')]: true,
    [Symbol.for('fastify.display-name')]: '@sessionkit/fastify',
  });
  return plugin;
}

const COOKIE_DEFAULTS: CookieOptions = { maxAge: null, path: '/', httpOnly: true, secure: 'auto', sameSite: 'lax' };

function cookieStrategy(options: FastifySessionOptions, url: CookieUrlOptions): FastifySessionPlugin {
  const engine = new CookieSessionEngine(
    cookieStrategyOptions(url, options, {
      secrets: typeof options.secret === 'string' ? [options.secret] : options.secret,
      name: options.cookieName ?? 'sessionId',
      cookie: { ...COOKIE_DEFAULTS, ...options.cookie },
      rolling: options.rolling ?? true,
    }),
  );

  const plugin = async (fastify: FastifyInstance) => {
    fastify.decorateRequest('session', null as never);
    fastify.addHook('onRequest', async (request: FastifyRequest) => {
      // Rejects with status 503 only while the revocation store is down under failMode 'closed'.
      const incoming = await engine.begin(request.headers.cookie);
      const slot = slots(request);
      slot[REQUEST_SESSION] = new RequestSession(
        engine,
        incoming,
        request.protocol === 'https',
        FASTIFY_FLAVOR,
        (current) => {
          slot.session = current ?? null;
        },
      );
    });
    // Sealed before the headers go out. A seal that fails (too large) throws here, and Fastify's
    // error handler answers instead, with nothing written: the browser's previous cookie stays.
    fastify.addHook('onSend', async (request: FastifyRequest, reply: FastifyReply, payload: unknown) => {
      const slot = slots(request);
      const requestSession = slot[REQUEST_SESSION];
      if (!requestSession) return payload;
      slot[REQUEST_SESSION] = undefined; // the error response, if any, sends no cookie
      const { lines } = requestSession.outcome();
      if (lines.length > 0) reply.header('set-cookie', lines);
      return payload;
    });
    fastify.addHook('onClose', async () => {
      await engine.close();
    });
  };

  return Object.assign(plugin, {
    strategy: 'cookie' as const,
    store: undefined,
    on(event: 'invalid', listener: (event: InvalidCookieEvent) => void) {
      engine.on(event, listener);
      return plugin as FastifySessionPlugin;
    },
    off(event: 'invalid', listener: (event: InvalidCookieEvent) => void) {
      engine.off(event, listener);
      return plugin as FastifySessionPlugin;
    },
    revokeUser: (id: string | number) => engine.revokeUser(id),
    close: () => engine.close(),
  }) as FastifySessionPlugin;
}

function serverStrategy(options: FastifySessionOptions, backing: SessionStore, owned: boolean): FastifySessionPlugin {
  const store = new FastifySessionStore(
    backing,
    defined({
      touchAfterMs: options.touchAfterMs,
      failMode: options.failMode,
      defaultTtlMs: options.defaultTtlMs,
      probeIntervalMs: options.probeIntervalMs,
      logger: options.logger,
    }),
  );
  let closed: Promise<void> | undefined;
  const close = () => (closed ??= owned ? backing.close() : Promise.resolve());

  const plugin = async (fastify: FastifyInstance) => {
    // Loaded here, so a cookie:// app needs no @fastify/session.
    const { default: fastifySession } = await import('@fastify/session');
    await fastify.register(fastifySession, {
      secret: options.secret,
      store,
      cookieName: options.cookieName ?? 'sessionId',
      cookie: { ...COOKIE_DEFAULTS, ...options.cookie } as never,
      rolling: options.rolling ?? true,
      saveUninitialized: options.saveUninitialized ?? false,
    });
    fastify.addHook('onClose', close);
  };

  return Object.assign(plugin, {
    strategy: 'server' as const,
    store,
    on() {
      return plugin as FastifySessionPlugin;
    },
    off() {
      return plugin as FastifySessionPlugin;
    },
    revokeUser: (id: string | number) => destroyUserSessions(backing, id),
    close,
  }) as FastifySessionPlugin;
}
