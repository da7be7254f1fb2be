import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import fastifyCookie from '@fastify/cookie';
import { MAX_HEADER_SIZE, noise } from '@sessionkit/adapter-suite';
import Fastify from 'fastify';
import { session, type FastifySessionOptions } from '../../src/index.js';

export const COOKIE = 'sid';

/** What handlers written for @fastify/session use of `request.session`, whichever strategy serves it. */
interface HandlerSession {
  readonly sessionId: string;
  get(key: string): unknown;
  set(key: string, value: unknown): void;
  regenerate(): Promise<void>;
  destroy(): Promise<void>;
  [key: string]: unknown;
}

/**
 * The sealed-cookie suite's app (and the same routes over a server store) on real fastify 5 with
 * `session()` from this package; @fastify/cookie registered, as an app that switches strategy by
 * URL does. Errors answer their `statusCode` with `{ code }`.
 */
export async function startSessionApp(
  store: FastifySessionOptions['store'],
  options: Partial<FastifySessionOptions> & { onInvalid?: (reason: string) => void } = {},
) {
  const app = Fastify({ serverFactory: (handler) => createServer({ maxHeaderSize: MAX_HEADER_SIZE }, handler) });
  const { onInvalid, ...rest } = options;
  const sessions = session({
    store,
    secret: 'a fastify session() secret of 32+ characters',
    cookieName: COOKIE,
    ...rest,
  });
  if (onInvalid) sessions.on('invalid', ({ reason }) => onInvalid(reason));
  await app.register(fastifyCookie);
  await app.register(sessions);
  const bag = (request: { session: unknown }) => request.session as HandlerSession;
  app.get('/me', async (request) => {
    const current = bag(request);
    return {
      sessionID: current?.sessionId ?? null,
      user: current?.get('user') ?? null,
      keys: current
        ? Object.keys(current)
            .filter((key) => key !== 'cookie' && !key.startsWith('sessionkit:'))
            .sort()
        : [],
    };
  });
  app.get('/blob', async (request) => ({ blob: bag(request).get('blob') ?? null }));
  app.post('/login', async (request) => {
    bag(request).set('user', 'alice');
    return { ok: true };
  });
  app.post<{ Params: { key: string; value: string } }>('/set/:key/:value', async (request) => {
    bag(request).set(request.params.key, request.params.value);
    return { ok: true };
  });
  app.post<{ Params: { bytes: string } }>('/fill/:bytes', async (request) => {
    bag(request).set('blob', noise(Number(request.params.bytes)));
    return { ok: true };
  });
  app.post('/logout', async (request) => {
    await bag(request).destroy();
    return { ok: true };
  });
  app.post('/regenerate', async (request) => {
    await bag(request).regenerate();
    bag(request).set('user', 'bob');
    return { ok: true };
  });
  app.setErrorHandler((err: Error & { statusCode?: number; code?: string }, _request, reply) => {
    void reply.status(err.statusCode ?? 500).send({ code: err.code ?? 'ERR_UNKNOWN' });
  });
  await app.listen({ port: 0, host: '127.0.0.1' });
  return {
    url: `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`,
    close: () => app.close(),
    revokeUser: (id: string) => sessions.revokeUser(id),
    sessions,
  };
}
