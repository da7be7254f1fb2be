export { sessionMiddleware, type SessionVariables } from './hono.js';
export { WebSessions, WebSession, type SessionCookieOptions, type WebSessionOptions } from './web.js';
