import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import fastifyCookie, { sign } from '@fastify/cookie';
import fastifySession from '@fastify/session';
import { LOADED_KEY, type SessionStore } from '@sessionkit/core';
import { MAX_HEADER_SIZE, type AppOptions } from '@sessionkit/adapter-suite';
import Fastify, { type FastifyInstance } from 'fastify';
import { FastifySessionStore } from '../../src/index.js';

export const SECRET = 'a fastify test secret of at least 32 characters';
export const COOKIE = 'sid';

/** The cookie value @fastify/session accepts for `sid`: `<sid>.<HMAC-SHA256>` as @fastify/cookie signs it, URI-encoded. */
export function signedCookies(sid: string, secret = SECRET): Record<string, string> {
  return { [COOKIE]: encodeURIComponent(sign(sid, secret)) };
}

type Bag = Record<string, unknown>;

/**
 * The adapter suite's standard app on real fastify 5 + @fastify/cookie + @fastify/session, with
 * `X-Served-By` and `/healthz` for the balancer. Errors answer their `statusCode` with `{ code }`.
 */
export function fastifyApp(store: SessionStore, options: AppOptions & { instance?: string } = {}): FastifyInstance {
  const app = Fastify({ serverFactory: (handler) => createServer({ maxHeaderSize: MAX_HEADER_SIZE }, handler) });
  app.register(fastifyCookie);
  app.register(fastifySession, {
    secret: SECRET,
    cookieName: COOKIE,
    cookie: { secure: false, maxAge: 600_000 },
    saveUninitialized: false,
    store: new FastifySessionStore(store, {
      failMode: options.failMode ?? 'open',
      probeIntervalMs: 100,
      logger: { warn: options.warn ?? (() => {}) },
    }),
  });
  app.addHook('onRequest', async (_request, reply) => {
    if (options.instance) reply.header('x-served-by', options.instance);
  });
  app.get('/healthz', async () => ({ ok: true }));
  app.get('/me', async (request) => {
    const bag = request.session as unknown as Bag;
    return {
      sessionID: request.session.sessionId ?? null,
      user: bag['user'] ?? null,
      keys: Object.keys(bag)
        .filter((key) => key !== 'cookie' && key !== LOADED_KEY)
        .sort(),
    };
  });
  app.post('/login', async (request) => {
    request.session.set('user' as never, 'alice' as never);
    return { ok: true };
  });
  app.post<{ Params: { key: string; value: string } }>('/set/:key/:value', async (request) => {
    await options.beforeWrite?.();
    request.session.set(request.params.key as never, request.params.value as never);
    return { ok: true };
  });
  app.post('/logout', async (request) => {
    await request.session.destroy();
    return { ok: true };
  });
  app.post('/regenerate', async (request) => {
    await request.session.regenerate();
    request.session.set('user' as never, 'bob' as never);
    return { ok: true };
  });
  app.setErrorHandler((err: Error & { statusCode?: number; code?: string }, _request, reply) => {
    void reply.status(err.statusCode ?? 500).send({ code: err.code ?? 'ERR_UNKNOWN' });
  });
  return app;
}

/** Starts {@link fastifyApp} on a free port of 127.0.0.1. */
export async function startFastifyApp(store: SessionStore, options: AppOptions & { instance?: string } = {}, port = 0) {
  const app = fastifyApp(store, options);
  await app.listen({ port, host: '127.0.0.1' });
  return { url: `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`, close: () => app.close() };
}
