import { createHmac } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { closeServer, MAX_HEADER_SIZE, type AppOptions } from '@sessionkit/adapter-suite';
import type { SessionStore } from '@sessionkit/core';
import { Hono } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { sessionMiddleware, type SessionVariables } from '../../src/index.js';

export const SECRET = 'a hono test secret of at least 32 characters';
export const COOKIE = 'sid';

/** The cookie value the middleware accepts for `sid`: `<sid>.<HMAC-SHA256 base64url>`. */
export function signedCookies(sid: string, secret = SECRET): Record<string, string> {
  return { [COOKIE]: `${sid}.${createHmac('sha256', secret).update(sid).digest('base64url')}` };
}

/** The adapter suite's standard app on real Hono with sessionMiddleware, plus `X-Served-By` and `/healthz` for the balancer. */
export function honoApp(
  store: SessionStore,
  options: AppOptions & { instance?: string; secret?: string | string[] } = {},
) {
  const app = new Hono<{ Variables: SessionVariables }>();
  if (options.instance) {
    const instance = options.instance;
    app.use(async (c, next) => {
      await next();
      c.header('x-served-by', instance);
    });
  }
  app.get('/healthz', (c) => c.json({ ok: true }));
  app.use(
    sessionMiddleware(store, {
      secret: options.secret ?? SECRET,
      cookie: { name: COOKIE, maxAgeMs: 600_000 },
      failMode: options.failMode ?? 'open',
      probeIntervalMs: 100,
      logger: { warn: options.warn ?? (() => {}) },
    }),
  );
  app.get('/me', (c) => {
    const session = c.get('session');
    return c.json({ sessionID: session.id ?? null, user: session.get('user') ?? null, keys: session.keys().sort() });
  });
  app.post('/login', (c) => {
    c.get('session').set('user', 'alice');
    return c.json({ ok: true });
  });
  app.post('/set/:key/:value', async (c) => {
    await options.beforeWrite?.();
    c.get('session').set(c.req.param('key'), c.req.param('value'));
    return c.json({ ok: true });
  });
  app.post('/logout', (c) => {
    c.get('session').destroy();
    return c.json({ ok: true });
  });
  app.post('/regenerate', (c) => {
    const session = c.get('session');
    session.regenerate();
    session.set('user', 'bob');
    return c.json({ ok: true });
  });
  app.onError((err, c) => {
    const status = err instanceof HTTPException ? err.status : 500;
    const code = (err.cause as { code?: string } | undefined)?.code ?? 'ERR_UNKNOWN';
    return c.json({ code }, status);
  });
  return app;
}

/** Serves {@link honoApp} with @hono/node-server on a free port of 127.0.0.1. */
export async function startHonoApp(store: SessionStore, options: Parameters<typeof honoApp>[1] = {}, port = 0) {
  const app = honoApp(store, options);
  const server = await new Promise<ReturnType<typeof serve>>((resolve) => {
    const started = serve(
      { fetch: app.fetch, port, hostname: '127.0.0.1', serverOptions: { maxHeaderSize: MAX_HEADER_SIZE } },
      () => resolve(started),
    );
  });
  const { port: bound } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${bound}`, close: () => closeServer(server as import('node:http').Server) };
}
