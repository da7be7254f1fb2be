import { fileURLToPath } from 'node:url';
import { runAdapterSuite } from '@sessionkit/adapter-suite';
import { startFastifyApp, signedCookies, COOKIE } from './support/app.js';

// Real fastify 5 + @fastify/cookie + @fastify/session over memory, Redis (ioredis and node-redis) and SQLite,
// the bad-input set, the store down, and two processes behind the sessionkit balancer.
runAdapterSuite({
  name: 'FastifySessionStore',
  start: (store, options) => startFastifyApp(store, options),
  signedCookies,
  cookie: COOKIE,
  serverScript: fileURLToPath(new URL('./support/server.ts', import.meta.url)),
});
