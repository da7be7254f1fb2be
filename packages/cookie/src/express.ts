import type { IncomingMessage, ServerResponse } from 'node:http';
import type { TLSSocket } from 'node:tls';
import { CookieSessionEngine, type Incoming } from './engine.js';
import type { CookieSessionOptions } from './options.js';
import type { InvalidCookieEvent } from './reasons.js';
import { EXPRESS_FLAVOR } from './flavor.js';
import { RequestSession } from './request-session.js';
import type { CookieSealer } from './sealer.js';
import type { CookieSession } from './session.js';

type Next = (err?: unknown) => void;
type SessionRequest = IncomingMessage & {
  session?: CookieSession;
  sessionID?: string;
  secure?: boolean;
  [REQUEST_SESSION]?: RequestSession<CookieSession>;
};

/** The Express (connect-style) middleware `cookieSession` returns, with its controls. */
export interface CookieSessionMiddleware {
  (req: IncomingMessage, res: ServerResponse, next: Next): void;
  /** `invalid`: a session cookie did not open (or was revoked); the request went on with a fresh session. */
  on(event: 'invalid', listener: (event: InvalidCookieEvent) => void): this;
  once(event: 'invalid', listener: (event: InvalidCookieEvent) => void): this;
  off(event: 'invalid', listener: (event: InvalidCookieEvent) => void): this;
  /**
   * Records "not before now" for user `id` in the revocation store: every session issued for that
   * user before now stops opening. Needs the `revocation` option.
   * @throws StoreConfigError without `revocation`; StoreUnavailableError when the store cannot be written.
   */
  revokeUser(id: string | number): Promise<void>;
  /** Closes the revocation store when it was created from a URL. */
  close(): Promise<void>;
  /** The sealer, for sealing or opening outside a request (tests, migrations). */
  readonly sealer: CookieSealer;
}

/** Size of the session cookie a response sends (or the request's, kept as it came). */
export interface SessionCookieInfo {
  /** Bytes of `name=value` the browser sends back per request (chunks joined with `; `). */
  bytes: number;
  chunks: number;
}

/** Where a request keeps its RequestSession (a symbol shared by the ESM and CJS builds; no WeakMap entry per request for the GC to trace). */
const REQUEST_SESSION = Symbol.for('sessionkit.cookie.request-session');

/**
 * Client-side sessions for Express (and any connect-style app): `req.session` with
 * express-session's surface (`regenerate`, `destroy`, `save`, `reload`, `touch`, `cookie`), sealed
 * into the cookie itself as JWE (`dir` + `A256GCM`). No store; any instance can serve any request.
 *
 * - A cookie that does not open (tampered, expired, unknown key, bad chunks, …) is a fresh session
 *   and one `invalid` event with the reason; never an error response.
 * - A read-only request sends no Set-Cookie (unless `rolling` and the seal is older than `touchAfterMs`,
 *   or it was opened with an older key, which re-seals it with the first one).
 * - A session too large for `maxChunks` cookies: `SessionTooLargeError` to `next(err)`, nothing written.
 *
 * @example
 * const sessions = cookieSession({
 *   secrets: [process.env.SESSION_SECRET!],          // ≥ 32 characters; put a new one first to rotate
 *   cookie: { maxAge: 30 * 60_000, sameSite: 'lax' }, // ms
 *   revocation: { store: 'redis://127.0.0.1:6379' },  // optional: enables revokeUser(id)
 * });
 * app.use(sessions);
 * sessions.on('invalid', ({ reason }) => log.info({ reason }, 'session cookie refused'));
 * app.post('/logout-everywhere', async (req, res) => { await sessions.revokeUser(req.user.id); res.end(); });
 * @throws StoreConfigError at once for a missing/short/duplicate secret or any bad option.
 */
export function cookieSession(options: CookieSessionOptions): CookieSessionMiddleware {
  const engine = new CookieSessionEngine(options);
  const { logger } = engine.options;

  const start = (req: SessionRequest, res: ServerResponse, next: Next, incoming: Incoming) => {
    const requestSession = new RequestSession(engine, incoming, isSecure(req), EXPRESS_FLAVOR, (session) => {
      if (session) {
        req.session = session;
        req.sessionID = session.id;
      } else {
        delete req.session;
        delete req.sessionID;
      }
    });
    req[REQUEST_SESSION] = requestSession;
    commitBeforeHeaders(res, requestSession, next, logger);
    next();
  };

  const middleware = (req: SessionRequest, res: ServerResponse, next: Next): void => {
    // Another session middleware ran first: leave its session alone, as express-session does.
    if (req.session !== undefined) return next();
    const incoming = engine.begin(req.headers.cookie);
    if (!(incoming instanceof Promise)) return start(req, res, next, incoming);
    incoming.then((checked) => start(req, res, next, checked), next);
  };

  return Object.assign(middleware as CookieSessionMiddleware, {
    on: (event: 'invalid', listener: (event: InvalidCookieEvent) => void) => {
      engine.on(event, listener);
      return middleware as CookieSessionMiddleware;
    },
    once: (event: 'invalid', listener: (event: InvalidCookieEvent) => void) => {
      engine.once(event, listener);
      return middleware as CookieSessionMiddleware;
    },
    off: (event: 'invalid', listener: (event: InvalidCookieEvent) => void) => {
      engine.off(event, listener);
      return middleware as CookieSessionMiddleware;
    },
    revokeUser: (id: string | number) => engine.revokeUser(id),
    close: () => engine.close(),
    sealer: engine.sealer,
  });
}

/**
 * The size of the session cookie of `req`'s response: sealed now when the response will send a new
 * one (the response then reuses that seal), else the one the request carried. `undefined` without a
 * session cookie (none yet, or destroyed) or outside `cookieSession`.
 * @throws SessionTooLargeError / SessionEncodeError when the session cannot be sealed.
 */
export function sessionCookieInfo(req: IncomingMessage): SessionCookieInfo | undefined {
  const info = (req as SessionRequest)[REQUEST_SESSION]?.info();
  return info && { bytes: info.cookieBytes, chunks: info.chunks };
}

/**
 * Seals the session before the response headers go out. From `res.end` (how `res.send`, `json`,
 * `redirect` finish) a seal that fails goes to `next(err)` with nothing written, so the app's error
 * handler answers. A response that already started (`writeHead`, `write`) cannot become an error
 * response any more: the failure is logged and no cookie is written.
 */
function commitBeforeHeaders(
  res: ServerResponse,
  requestSession: RequestSession,
  next: Next,
  logger: { warn(message: string): void },
): void {
  const { end, write, writeHead } = res;
  let done = false;
  const commit = (): unknown => {
    done = true;
    try {
      const { lines } = requestSession.outcome();
      if (lines.length > 0) res.appendHeader('Set-Cookie', lines);
      return undefined;
    } catch (err) {
      return err;
    }
  };
  const restore = () => {
    res.end = end;
    res.write = write;
    res.writeHead = writeHead;
  };
  const logFailure = (err: unknown) =>
    logger.warn(`[sessionkit] session cookie not written after the response started: ${(err as Error).message}`);

  res.end = function (this: ServerResponse, ...args: unknown[]) {
    if (!done && !res.headersSent) {
      const err = commit();
      if (err !== undefined) {
        restore();
        setImmediate(next, err);
        return res;
      }
    }
    return (end as (...a: unknown[]) => ServerResponse).apply(this, args);
  } as ServerResponse['end'];
  res.write = function (this: ServerResponse, ...args: unknown[]) {
    if (!done && !res.headersSent) {
      const err = commit();
      if (err !== undefined) logFailure(err);
    }
    return (write as (...a: unknown[]) => boolean).apply(this, args);
  } as ServerResponse['write'];
  res.writeHead = function (this: ServerResponse, ...args: unknown[]) {
    if (!done) {
      const err = commit();
      if (err !== undefined) logFailure(err);
    }
    return (writeHead as (...a: unknown[]) => ServerResponse).apply(this, args);
  } as ServerResponse['writeHead'];
}

function isSecure(req: SessionRequest): boolean {
  return req.secure ?? Boolean((req.socket as TLSSocket | undefined)?.encrypted);
}
