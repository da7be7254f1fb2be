export { ExpressSessionStore } from './express-store.js';
export type { ExpressSessionStoreOptions, FailMode, SessionLogger } from './options.js';
export type { Callback } from './callback.js';
export { session, type SessionMiddleware, type SessionOptions, type SessionStrategyStore } from './session.js';
