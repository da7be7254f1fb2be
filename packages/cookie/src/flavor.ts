import type { SessionData } from '@sessionkit/core';
import { assignData, clearData, CookieSession, dataOf, type SessionOwner } from './session.js';
import type { SessionCookie } from './session-cookie.js';

/**
 * The object a framework's handlers see as their session, as a `RequestSession` makes and reads
 * it. Express's is a `CookieSession` (data as properties, express-session's methods); Fastify's
 * has @fastify/session's `get` / `set` / promise methods; Hono's keeps its data apart from its
 * methods. The sealing, chunking, rotation and revocation rules stay in `RequestSession`.
 */
export interface SessionFlavor<S extends object> {
  /** Makes a session object: its methods call `owner`, which seals, regenerates and destroys. */
  create(owner: SessionOwner<S>, id: string, cookie: SessionCookie, data: SessionData): S;
  /** The session id sealed as `jti`. */
  id(session: S): string;
  /** The cookie whose attributes and lifetime the seal carries. */
  cookie(session: S): SessionCookie;
  /** The session's data now (a shallow snapshot). */
  data(session: S): SessionData;
  /** Replaces the session's data (`reload`). */
  replace(session: S, data: SessionData): void;
}

/** Express's `req.session`: a {@link CookieSession}. */
export const EXPRESS_FLAVOR: SessionFlavor<CookieSession> = {
  create: (owner, id, cookie, data) => new CookieSession(owner, id, cookie, data),
  id: (session) => session.id,
  cookie: (session) => session.cookie,
  data: (session) => dataOf(session),
  replace: (session, data) => {
    clearData(session);
    assignData(session, data);
  },
};
