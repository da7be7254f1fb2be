export { sessionMiddleware, type SessionVariables } from './hono.js';
export { session, type HonoSessionMiddleware, type HonoSessionOptions, type SessionEnv } from './session.js';
export {
  WebSessions,
  WebSession,
  SealedWebSessions,
  SealedSession,
  type Session,
  type SessionCookieOptions,
  type WebSessionOptions,
} from './web.js';
