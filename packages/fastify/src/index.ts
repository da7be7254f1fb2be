export { FastifySessionStore, type FastifySessionStoreOptions, type FastifyStoreCallback } from './fastify-store.js';
export { session, type FastifySessionOptions, type FastifySessionPlugin } from './session.js';
export { FastifyCookieSession } from './cookie-session.js';
// `request.session`'s type on either strategy is @fastify/session's: re-exported so these
// declarations load its `declare module 'fastify'` (install @fastify/session for the types).
export type { FastifySessionObject } from '@fastify/session';
