import type { IncomingMessage, ServerResponse } from 'node:http';
import { listen, runAdapterSuite, type AppOptions } from '@sessionkit/adapter-suite';
import type { SessionStore } from '@sessionkit/core';
import { createCookie, createSessionStorage } from 'react-router';
import { sessionkitStorage } from '../src/index.js';

const SECRET = 'a react-router test secret';
const COOKIE = '__session';
const cookie = createCookie(COOKIE, { secrets: [SECRET], httpOnly: true, sameSite: 'lax', maxAge: 600 });

/** The cookie React Router's createCookie sends for `sid`, signed with `secret`. */
async function signedCookies(sid: string, secret = SECRET): Promise<Record<string, string>> {
  const signer = secret === SECRET ? cookie : createCookie(COOKIE, { secrets: [secret] });
  return { [COOKIE]: (await signer.serialize(sid)).split(';')[0]!.slice(COOKIE.length + 1) };
}

/**
 * The adapter suite's standard app as React Router route handlers would write it: getSession from
 * the Cookie header, commitSession / destroySession into Set-Cookie, on a plain Node server.
 */
function app(store: SessionStore, { failMode, beforeWrite, warn }: AppOptions) {
  const { getSession, commitSession, destroySession } = createSessionStorage({
    cookie,
    ...sessionkitStorage(store, {
      failMode: failMode ?? 'open',
      probeIntervalMs: 100,
      logger: { warn: warn ?? (() => {}) },
    }),
  });
  const send = (res: ServerResponse, status: number, body: unknown, setCookie?: string) => {
    if (setCookie) res.setHeader('set-cookie', setCookie);
    res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  };
  return async (req: IncomingMessage, res: ServerResponse) => {
    try {
      const session = await getSession(req.headers.cookie);
      const path = req.url ?? '/';
      const set = /^\/set\/(\w+)\/(\w+)$/.exec(path);
      if (req.method === 'GET' && path === '/me') {
        const keys = Object.keys(session.data)
          .filter((key) => key !== 'sessionkit:loaded')
          .sort();
        return send(res, 200, { sessionID: session.id || null, user: session.get('user') ?? null, keys });
      }
      if (req.method === 'POST' && path === '/login') session.set('user', 'alice');
      else if (req.method === 'POST' && set) {
        await beforeWrite?.();
        session.set(set[1]!, set[2]);
      } else if (req.method === 'POST' && path === '/logout')
        return send(res, 200, { ok: true }, await destroySession(session));
      else if (req.method === 'POST' && path === '/regenerate') {
        // React Router has no regenerate: destroy the old session, commit its data under a new id.
        const data = { ...session.data, user: 'bob' };
        await destroySession(session);
        const fresh = await getSession(null);
        for (const [key, value] of Object.entries(data)) if (key !== 'sessionkit:loaded') fresh.set(key, value);
        return send(res, 200, { ok: true }, await commitSession(fresh));
      } else return send(res, 404, { code: 'ERR_NOT_FOUND' });
      send(res, 200, { ok: true }, await commitSession(session));
    } catch (err) {
      const { status, code } = err as { status?: number; code?: string };
      send(res, status ?? 500, { code: code ?? 'ERR_UNKNOWN' });
    }
  };
}

// The scenarios every adapter shares, through real HTTP, on memory, Redis and SQLite, and with the store down.
runAdapterSuite({
  name: 'sessionkitStorage (React Router)',
  cookie: COOKIE,
  signedCookies,
  keepsCookieId: true,
  start: (store, options) => listen(app(store, options)),
});
