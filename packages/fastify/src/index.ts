export { FastifySessionStore, type FastifySessionStoreOptions, type FastifyStoreCallback } from './fastify-store.js';
