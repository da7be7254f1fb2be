import { runCookieSuite, sessionOptionsFor } from '@sessionkit/adapter-suite';
import { COOKIE, startSessionApp } from './support/session-app.js';

// session({ store: 'cookie://' }) on real fastify 5: round trip, chunking, too large, rotation,
// revocation, bad cookies and the revocation store down, as on Express and Hono.
runCookieSuite({
  name: 'session() (Fastify)',
  cookie: COOKIE,
  start: (options) =>
    startSessionApp(options.store, {
      ...sessionOptionsFor(options),
      ...(options.onInvalid ? { onInvalid: options.onInvalid } : {}),
    }),
});
