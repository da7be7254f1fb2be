import { fileURLToPath } from 'node:url';
import fastifyCookie from '@fastify/cookie';
import fastifyStatic from '@fastify/static';
import Fastify, { type FastifyInstance, type FastifyRequest } from 'fastify';
import { session, type FastifySessionOptions } from 'sessionkit/fastify';
// The same cart rules, catalog and page as the Express shop.
import { addItem, cartView, isRefusal, removeItem, userName, type Cart, type Refusal } from '../../shop/src/cart.js';
import { CATALOG } from '../../shop/src/catalog.js';

const PUBLIC_DIR = fileURLToPath(new URL('../../shop/src/public/', import.meta.url));

export interface FastifyShopOptions {
  /** Sent as `X-Served-By` on every response. */
  instanceId: string;
  /** `cookie://`, a store URL (`process.env.SESSION_STORE_URL`) or any sessionkit store. */
  store: FastifySessionOptions['store'];
  /** Signs (or, under `cookie://`, seals) the session cookie; at least 32 characters, the same on every instance. */
  secret: string;
  /** Shown on the page: the store URL in use (password removed). */
  storeLabel: string;
}

/** Name of the session cookie. */
export const SESSION_COOKIE = 'shop.sid';

interface ShopSession {
  user?: string;
  cart?: Cart;
}

/**
 * The shop's cart on Fastify 5: sessionkit's `session()` (sealed cookies for `cookie://`, else
 * @fastify/session over the store), the same JSON API (`/api/login`, `/api/logout`, `/api/cart`,
 * `/api/cart/items`) and page as the Express shop.
 * @throws StoreConfigError for an unknown store scheme or a short secret.
 */
export function createFastifyShop(options: FastifyShopOptions): FastifyInstance {
  const sessions = session({
    store: options.store,
    secret: options.secret,
    cookieName: SESSION_COOKIE,
    cookie: { secure: 'auto', httpOnly: true, sameSite: 'lax', maxAge: 30 * 60_000 },
  });
  const app = Fastify({ bodyLimit: 4096 });
  app.register(fastifyCookie);
  app.register(sessions);
  app.register(fastifyStatic, { root: PUBLIC_DIR });
  app.addHook('onRequest', async (_request, reply) => {
    reply.header('X-Served-By', options.instanceId);
  });
  app.setErrorHandler((err: Error & { statusCode?: number }, _request, reply) => {
    const status = err.statusCode ?? 500;
    if (status >= 500) console.error(err);
    void reply.status(status).send({ error: status >= 500 ? 'internal error' : err.message });
  });
  app.setNotFoundHandler((_request, reply) => void reply.status(404).send({ error: 'no such API route' }));

  const shop = (request: FastifyRequest) => request.session as unknown as ShopSession;
  const updateCart = (request: FastifyRequest, result: Cart | Refusal, reply: { status(code: number): unknown }) => {
    if (isRefusal(result)) {
      reply.status(result.status);
      return { error: result.error };
    }
    shop(request).cart = result;
    return cartView(shop(request).user, result);
  };

  app.get('/api/info', async () => ({
    instance: options.instanceId,
    pid: process.pid,
    store: options.storeLabel,
    routing: 'none (one Fastify instance)',
  }));
  app.get('/api/products', async () => ({ products: CATALOG }));
  app.get('/api/cart', async (request) => cartView(shop(request).user, shop(request).cart));
  app.post('/api/cart/items', async (request, reply) =>
    updateCart(request, addItem(shop(request).cart, request.body), reply),
  );
  app.delete<{ Params: { sku: string } }>('/api/cart/items/:sku', async (request, reply) =>
    updateCart(request, removeItem(shop(request).cart, request.params.sku), reply),
  );
  app.post('/api/login', async (request, reply) => {
    const user = userName(request.body);
    if (isRefusal(user)) {
      reply.status(user.status);
      return { error: user.error };
    }
    const cart = shop(request).cart;
    // A new sid at login (against session fixation): the old session is destroyed, the cart kept.
    await request.session.regenerate();
    Object.assign(shop(request), { user, ...(cart ? { cart } : {}) });
    return cartView(user, cart);
  });
  app.post('/api/logout', async (request) => {
    await request.session.destroy();
    return cartView(undefined, undefined);
  });
  return app;
}
