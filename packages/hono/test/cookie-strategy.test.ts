import { runCookieSuite, sessionOptionsFor } from '@sessionkit/adapter-suite';
import { COOKIE, startSessionApp } from './support/session-app.js';

// session({ store: 'cookie://' }) on real hono + @hono/node-server: round trip, chunking, too
// large, rotation, revocation, bad cookies and the revocation store down, as on Express and Fastify.
runCookieSuite({
  name: 'session() (Hono)',
  cookie: COOKIE,
  start: (options) =>
    startSessionApp(options.store, {
      ...sessionOptionsFor(options),
      ...(options.onInvalid ? { onInvalid: options.onInvalid } : {}),
    }),
});
