import { fileURLToPath } from 'node:url';
import { runAdapterSuite } from '@sessionkit/adapter-suite';
import { COOKIE, signedCookies, startHonoApp } from './support/app.js';

// Real hono + @hono/node-server over memory, Redis (ioredis) and SQLite, the bad-input set, the
// store down, and a cart across two processes behind the sessionkit balancer.
runAdapterSuite({
  name: 'sessionMiddleware (Hono)',
  start: (store, options) => startHonoApp(store, options),
  signedCookies,
  cookie: COOKIE,
  serverScript: fileURLToPath(new URL('./support/server.ts', import.meta.url)),
});
