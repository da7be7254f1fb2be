import { httpStatusOf, type SessionStore } from '@sessionkit/core';
import type { MiddlewareHandler } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { WebSessionOptions } from './options.js';
import { WebSessions } from './web-sessions.js';
import type { WebSession } from './web-session.js';

/** The context variables the middleware sets: `c.get('session')`. */
export interface SessionVariables {
  session: WebSession;
}

/**
 * Hono middleware: loads the session from the signed cookie before the handler (`c.get('session')`)
 * and, after it, saves what changed (only the changed top-level keys) and appends `Set-Cookie`.
 * The Hono glue over {@link WebSessions}, which does the work on Web `Request`/`Headers`.
 *
 * Store errors become an `HTTPException` with status 503 (store down: failMode 'closed', or a
 * change saved while it is down) or 400 (session data that cannot be stored), the error as `cause`;
 * Hono's error handling (`app.onError`) answers it.
 *
 * @throws StoreConfigError for invalid options.
 * @example
 * const app = new Hono<{ Variables: SessionVariables }>();
 * app.use(sessionMiddleware(createStore(process.env.SESSION_STORE_URL ?? 'memory://'), { secret: process.env.SESSION_SECRET! }));
 * app.post('/cart/:sku', (c) => {
 *   const session = c.get('session');
 *   session.set('cart', [...(session.get<string[]>('cart') ?? []), c.req.param('sku')]);
 *   return c.json(session.get('cart'));
 * });
 */
export function sessionMiddleware(
  store: SessionStore,
  options: WebSessionOptions,
): MiddlewareHandler<{ Variables: SessionVariables }> {
  const sessions = new WebSessions(store, options);
  return async (c, next) => {
    const session = await sessions.load(c.req.raw).catch(rethrow);
    c.set('session', session);
    await next();
    const lines = await sessions.commit(session).catch(rethrow);
    for (const line of lines) c.header('Set-Cookie', line, { append: true });
  };
}

function rethrow(err: unknown): never {
  const status = httpStatusOf(err);
  if (status === undefined) throw err;
  throw new HTTPException(status, {
    message: status === 503 ? 'Session store unavailable' : 'Session data cannot be stored',
    cause: err,
  });
}
