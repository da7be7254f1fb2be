// The benchmarked cart app on Fastify 5 + @fastify/session: the same routes and session use as
// the Express app in server.ts, with @fastify/session's defaults (`rolling`: every request saves).
import type { AddressInfo } from 'node:net';
import fastifyCookie from '@fastify/cookie';
import fastifySession from '@fastify/session';
import { FastifySessionStore } from '@sessionkit/fastify';
import Fastify from 'fastify';
import { SESSION_MAX_AGE_MS, SESSION_SECRET } from './backend-config.js';
import type { OpenedStore } from './open-store.js';
import type { RequestMeter } from './request-meter.js';

type CartSession = { cart?: Record<string, number> };

/**
 * Listens on a free port of 127.0.0.1; `meter` sees every request and its response (the headers
 * Fastify sent it with). Ours get `FastifySessionStore`; theirs are handed to @fastify/session as they are.
 */
export async function listenFastify(
  opened: OpenedStore,
  meter: RequestMeter,
): Promise<{ port: number; close(): Promise<void> }> {
  const app = Fastify({ keepAliveTimeout: 60_000 });
  app.addHook('onRequest', async (request) => meter.request(request.raw.rawHeaders));
  app.addHook('onResponse', async (_request, reply) => meter.response(reply.getHeaders()));
  const store = opened.sessionkit ? new FastifySessionStore(opened.sessionkit) : (opened.fastify ?? opened.express);
  if (store) {
    app.register(fastifyCookie);
    app.register(fastifySession, {
      // @fastify/session wants 32 characters or more.
      secret: SESSION_SECRET.padEnd(32, '.'),
      saveUninitialized: false,
      cookie: { secure: false, maxAge: SESSION_MAX_AGE_MS },
      store: store as never,
    });
  }
  const cartOf = (request: { session?: unknown }) => (store ? (request.session as CartSession) : undefined);
  // Read-only request: loads the session and changes nothing.
  app.get('/cart', async (request) => ({ items: cartOf(request)?.cart ?? {} }));
  // Write request: adds one item to the cart (8 distinct SKUs, so a session stays small).
  app.post<{ Querystring: { sku?: string } }>('/cart/add', async (request) => {
    const sku = typeof request.query.sku === 'string' ? request.query.sku : 'sku-0';
    const session = cartOf(request);
    if (session) session.cart = { ...session.cart, [sku]: (session.cart?.[sku] ?? 0) + 1 };
    return { added: sku };
  });
  await app.listen({ port: 0, host: '127.0.0.1' });
  return { port: (app.server.address() as AddressInfo).port, close: () => app.close() };
}
