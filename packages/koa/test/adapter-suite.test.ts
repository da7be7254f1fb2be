import { createHmac } from 'node:crypto';
import { listen, runAdapterSuite, type AppOptions } from '@sessionkit/adapter-suite';
import type { SessionStore } from '@sessionkit/core';
import Koa from 'koa';
import session from 'koa-session';
import { koaStore } from '../src/index.js';

const COOKIE = 'koa.sess';
const KEY = 'koa test secret';

/** The key cookie and its `.sig` cookie (keygrip: HMAC-SHA1 of `name=value`, base64url), as Koa sets them. */
function signedCookies(sid: string, secret = KEY): Record<string, string> {
  const value = encodeURIComponent(sid);
  return {
    [COOKIE]: value,
    [`${COOKIE}.sig`]: createHmac('sha1', secret).update(`${COOKIE}=${value}`).digest('base64url'),
  };
}

type Bag = Record<string, unknown>;

/** The adapter suite's standard app on Koa 3 + koa-session 7 in external-store mode. */
function koaApp(store: SessionStore, { failMode, beforeWrite, warn }: AppOptions): Koa {
  const app = new Koa();
  app.keys = [KEY];
  app.use(async (ctx, next) => {
    try {
      await next();
    } catch (err) {
      const { status, code } = err as { status?: number; code?: string };
      ctx.status = status ?? 500;
      ctx.body = { code: code ?? 'ERR_UNKNOWN' };
    }
  });
  const storeOptions = {
    failMode: failMode ?? 'open',
    probeIntervalMs: 100,
    logger: { warn: warn ?? (() => {}) },
  } as const;
  app.use(session({ key: COOKIE, maxAge: 600_000, store: koaStore(store, storeOptions) }, app));
  app.use(async (ctx) => {
    const bag = ctx.session as unknown as Bag;
    const set = /^\/set\/(\w+)\/(\w+)$/.exec(ctx.path);
    if (ctx.method === 'POST' && ctx.path === '/login') bag['user'] = 'alice';
    else if (ctx.method === 'POST' && ctx.path === '/logout') ctx.session = null;
    else if (ctx.method === 'POST' && ctx.path === '/regenerate') {
      await ctx.session!.regenerate();
      (ctx.session as unknown as Bag)['user'] = 'bob';
    } else if (ctx.method === 'POST' && set) {
      await beforeWrite?.();
      bag[set[1]!] = set[2];
    } else if (ctx.path !== '/me') return;
    const json = ctx.session?.toJSON() ?? {};
    ctx.body = {
      sessionID: ctx.session?.externalKey ?? null,
      user: json['user'] ?? null,
      keys: Object.keys(json).sort(),
    };
  });
  return app;
}

// The scenarios every adapter shares, on memory, Redis and SQLite, and with the store down.
runAdapterSuite({
  name: 'koaStore',
  cookie: COOKIE,
  signedCookies,
  start: (store, options) => listen(koaApp(store, options).callback()),
});
