import { runCookieSuite } from '@sessionkit/adapter-suite';
import { COOKIE, cookieOptions, startSessionApp } from './session-app.js';

// session({ store: 'cookie://' }) on real hono + @hono/node-server: round trip, chunking, too
// large, rotation, revocation, bad cookies and the revocation store down, as on Express and Fastify.
runCookieSuite({
  name: 'session() (Hono)',
  cookie: COOKIE,
  start: (options) => startSessionApp(options.store, cookieOptions(options)),
});
