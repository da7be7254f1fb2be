import { createHmac } from 'node:crypto';
import { listen, runAdapterSuite } from '@sessionkit/adapter-suite';
import { ExpressSessionStore } from '../src/index.js';
import { COOKIE, SECRET, sessionApp } from './support/app.js';

/** A cookie value express-session accepts: `s:<sid>.<HMAC-SHA256 signature>`, as cookie-signature makes it. */
function signedCookies(sid: string, secret = SECRET): Record<string, string> {
  const signature = createHmac('sha256', secret).update(sid).digest('base64').replace(/=+$/, '');
  return { [COOKIE]: encodeURIComponent(`s:${sid}.${signature}`) };
}

// The scenarios every adapter shares, on memory, Redis and SQLite, and with the store down.
runAdapterSuite({
  name: 'ExpressSessionStore',
  cookie: COOKIE,
  signedCookies,
  start: (store, { failMode, beforeWrite, warn }) => {
    const adapter = new ExpressSessionStore(store, {
      failMode: failMode ?? 'open',
      probeIntervalMs: 100,
      logger: { warn: warn ?? (() => {}) },
    });
    return listen(sessionApp(adapter, { cookie: { maxAge: 600_000 } }, beforeWrite ? { beforeWrite } : {}));
  },
});
