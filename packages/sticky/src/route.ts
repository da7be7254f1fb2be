import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { StickyConfigError } from './errors.js';
import { validateCookieName } from './options.js';
import { readCookie } from './sticky-cookie.js';

const ROUTE = /^[A-Za-z0-9_-]{1,64}$/;

export interface StickyRouteOptions {
  /** This instance's route, `^[A-Za-z0-9_-]{1,64}$`; the same name as its backend id / server name in the balancer. */
  route: string;
  /**
   * `'cookie'` (default): set a cookie `cookieName=route` whenever the client's differs.
   * `'session-id-suffix'`: the session id ends in `.route` (Tomcat jvmRoute); needs express-session
   * with `genid: sessionIdGenerator(route)`, mounted before this middleware.
   */
  mode?: 'cookie' | 'session-id-suffix';
  /** Cookie mode: name of the route cookie. Default `'route'`. */
  cookieName?: string;
}

function checkRoute(route: unknown): string {
  if (typeof route !== 'string' || !ROUTE.test(route)) {
    throw new StickyConfigError(
      `route ${JSON.stringify(route)} must match ${ROUTE} (it becomes a cookie value and a session id suffix)`,
    );
  }
  return route;
}

/**
 * A `genid` for express-session (and koa-session): 24 random bytes as base64url plus `.route`,
 * e.g. `mYq…Xw.a`: one dot, no character that a cookie, a URL or a store key would need to escape,
 * at most 97 characters, so it is a valid session id for every sessionkit store.
 * Throws StickyConfigError for a bad route.
 *
 * @example
 * app.use(session({ secret, store, resave: false, saveUninitialized: false, genid: sessionIdGenerator('a') }));
 * // req.sessionID: 'mYqk…Xw.a'
 */
export function sessionIdGenerator(route: string): () => string {
  const suffix = `.${checkRoute(route)}`;
  return () => randomBytes(24).toString('base64url') + suffix;
}

/**
 * The route a session id ends with: the part after its last `.` (`abc.route` → `route`), when that
 * is a route name (`^[A-Za-z0-9_-]{1,64}$`) after a non-empty id and, given `routes`, one of them.
 * Anything else (no dot, an empty part, `/`, `%`, `+`, spaces, control characters, non-ASCII or
 * lone surrogates in the suffix, a name not in `routes`, a non-string) gives undefined: no route,
 * so the request is balanced normally. Nothing is decoded: `x.a%2Fb` has no route.
 *
 * @example
 * routeOfSessionId('mYq…Xw.a');                  // 'a'
 * routeOfSessionId('a/b+c%d.e', ['a', 'b']);     // undefined: 'e' is not a configured route
 */
export function routeOfSessionId(sid: string, routes?: Iterable<string>): string | undefined {
  if (typeof sid !== 'string') return undefined;
  const dot = sid.lastIndexOf('.');
  if (dot <= 0) return undefined;
  const route = sid.slice(dot + 1);
  if (!ROUTE.test(route)) return undefined;
  if (routes === undefined) return route;
  for (const name of routes) if (name === route) return route;
  return undefined;
}

function routeCookie(name: string, route: string): string {
  return `${name}=${route}; Path=/; HttpOnly; SameSite=Lax`;
}

/** A connect/Express middleware. */
export type ConnectMiddleware = (req: IncomingMessage, res: ServerResponse, next: (err?: unknown) => void) => void;

interface ExpressLikeSession {
  regenerate(callback: (err?: unknown) => void): void;
  [key: string]: unknown;
}
type ExpressLikeRequest = IncomingMessage & { session?: ExpressLikeSession; sessionID?: string };

/**
 * Express (connect) middleware that tags responses with this instance's route so an L7 balancer
 * (HAProxy `cookie route`, nginx `map $cookie_route`, or this package's configs) can pin clients.
 *
 * In `'session-id-suffix'` mode, a session whose id names another route (the client failed over
 * from a dead instance) gets a new id with this instance's route and keeps its data, as Tomcat's
 * JvmRouteBinderValve does: the old id is destroyed in the store, so the balancer sends the client
 * here from now on. Throws StickyConfigError for bad options.
 *
 * @example
 * app.use(stickyRoute({ route: process.env.ROUTE! })); // Set-Cookie: route=a when the client's differs
 * // or, with the route in the session id (after express-session created with genid: sessionIdGenerator('a')):
 * app.use(stickyRoute({ route: 'a', mode: 'session-id-suffix' }));
 */
export function stickyRoute(options: StickyRouteOptions): ConnectMiddleware {
  const route = checkRoute(options?.route);
  const mode = options.mode ?? 'cookie';
  if (mode === 'cookie') {
    const name = validateCookieName(options.cookieName ?? 'route', 'cookieName');
    const header = routeCookie(name, route);
    return (req, res, next) => {
      if (readCookie(req.headers.cookie, name) !== route) res.appendHeader('set-cookie', header);
      next();
    };
  }
  if (mode !== 'session-id-suffix')
    throw new StickyConfigError(`mode must be 'cookie' or 'session-id-suffix', got ${JSON.stringify(mode)}`);
  return (incoming, _res, next) => {
    const req = incoming as ExpressLikeRequest;
    const { session, sessionID } = req;
    if (!session || typeof session.regenerate !== 'function' || sessionID === undefined) {
      return next(new StickyConfigError("stickyRoute({ mode: 'session-id-suffix' }) must come after express-session"));
    }
    if (routeOfSessionId(sessionID) === route) return next();
    const data = Object.fromEntries(
      Object.entries(session).filter(([key]) => key !== 'cookie' && typeof session[key] !== 'function'),
    );
    session.regenerate((err) => {
      if (err) return next(err);
      if (routeOfSessionId(req.sessionID ?? '') !== route) {
        return next(
          new StickyConfigError(`express-session must be created with genid: sessionIdGenerator('${route}')`),
        );
      }
      Object.assign(req.session as ExpressLikeSession, data);
      next();
    });
  };
}

/** The part of Koa's context `stickyRouteKoa` uses. */
export interface KoaLikeContext {
  cookies: {
    get(name: string, opts?: { signed?: boolean }): string | undefined;
    set(name: string, value: string, opts?: Record<string, unknown>): unknown;
  };
}

/**
 * The Koa variant of `stickyRoute`, cookie mode only. For session-id-suffix routing with
 * koa-session, pass `genid: sessionIdGenerator(route)` to koa-session (the id carries the route;
 * a failed-over session keeps its old suffix until it is recreated). Throws StickyConfigError for
 * bad options or `mode: 'session-id-suffix'`.
 *
 * @example
 * const app = new Koa();
 * app.use(stickyRouteKoa({ route: 'a' })); // Set-Cookie: route=a when the client's differs
 */
export function stickyRouteKoa(
  options: StickyRouteOptions,
): (ctx: KoaLikeContext, next: () => Promise<unknown>) => Promise<void> {
  const route = checkRoute(options?.route);
  if ((options.mode ?? 'cookie') !== 'cookie') {
    throw new StickyConfigError(
      `stickyRouteKoa supports mode 'cookie' only; for koa-session use genid: sessionIdGenerator('${route}')`,
    );
  }
  const name = validateCookieName(options.cookieName ?? 'route', 'cookieName');
  return async (ctx: KoaLikeContext, next: () => Promise<unknown>): Promise<void> => {
    if (ctx.cookies.get(name, { signed: false }) !== route) {
      ctx.cookies.set(name, route, { signed: false, httpOnly: true, sameSite: 'lax', path: '/', overwrite: true });
    }
    await next();
  };
}
