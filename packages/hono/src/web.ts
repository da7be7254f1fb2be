// The framework-free core: sessions on Web Request / Headers, for any fetch-style server.
export { WebSessions } from './web-sessions.js';
export { WebSession } from './web-session.js';
export { SealedWebSessions } from './sealed-web-sessions.js';
export { SealedSession } from './sealed-session.js';
export type { Session } from './session-api.js';
export type { SessionCookieOptions, WebSessionOptions } from './options.js';
