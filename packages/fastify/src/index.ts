export { FastifySessionStore, type FastifySessionStoreOptions, type FastifyStoreCallback } from './fastify-store.js';
export { session, type FastifySessionOptions, type FastifySessionPlugin } from './session.js';
export { FastifyCookieSession } from './cookie-session.js';
