import { fileURLToPath } from 'node:url';
import express, { type ErrorRequestHandler, type Request, type Response } from 'express';
import type { Session } from 'express-session';
import { sessionCookieInfo } from 'sessionkit/cookie';
import { session } from 'sessionkit/express';
import type { SessionStore } from 'sessionkit';
import { addItem, cartView, isRefusal, removeItem, userName, type Cart, type Refusal } from './cart.js';
import { CATALOG } from './catalog.js';
import { cartEntries, cartOf, storeCart } from './session-cart.js';

/**
 * What the shop keeps in a session, each field one top-level key patched on its own: the user,
 * and one `cart:<sku>` key per product (see session-cart.ts).
 */
interface ShopSession extends Session {
  /** The logged-in user's name. */
  user?: string;
  [key: `cart:${string}`]: unknown;
}

export interface ShopOptions {
  /** This instance's id: sent as `X-Served-By` on every response. */
  instanceId: string;
  /**
   * Where sessions live; every instance of a deployment gets the same kind of store: a
   * SessionStore, a store URL, or `cookie://` (sealed in the browser, no store).
   */
  store: SessionStore | string;
  /** Signs (or, with `cookie://`, seals) the session cookie; must be the same on every instance; 32+ characters. */
  secret: string;
  /** Shown on the page: the store URL in use (password removed). */
  storeLabel: string;
  /** Shown on the page: how the balancer routes (`round-robin`, `sticky-cookie`, `ip-hash`). */
  routingLabel: string;
}

/** Name of the session cookie. */
export const SESSION_COOKIE = 'shop.sid';

const PUBLIC_DIR = fileURLToPath(new URL('./public/', import.meta.url));

/**
 * The shop: an Express 5 app whose cart and login live in the session, so they survive only as
 * well as the session store shared by the instances. JSON API under `/api`, the page at `/`.
 */
export function createShopApp(options: ShopOptions): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.use((_req, res, next) => {
    res.set('X-Served-By', options.instanceId);
    next();
  });

  // The balancer's health check: answers without touching the session store.
  app.get('/healthz', (_req, res) => {
    res.json({ ok: true, instance: options.instanceId });
  });
  app.use(express.static(PUBLIC_DIR, { index: 'index.html' }));

  // One switch: the store (or `cookie://`) decides the strategy, the app stays the same.
  const sessions = session({
    name: SESSION_COOKIE,
    secret: options.secret,
    store: options.store,
    cookie: { httpOnly: true, sameSite: 'lax', maxAge: 30 * 60_000 },
  });
  app.use(sessions);
  // What the session cookie costs on every request, for the page: sent before each answer.
  app.use('/api', (req, res, next) => {
    const json = res.json.bind(res);
    res.json = (body: unknown) => {
      if (res.statusCode < 400) res.set('X-Session-Cookie', sessionCookieHeader(req, sessions.strategy));
      return json(body);
    };
    next();
  });
  app.use(express.json({ limit: '4kb' }));

  app.get('/api/info', (_req, res) => {
    res.json({
      instance: options.instanceId,
      pid: process.pid,
      store: options.storeLabel,
      routing: options.routingLabel,
    });
  });
  app.get('/api/products', (_req, res) => {
    res.json({ products: CATALOG });
  });

  app.get('/api/cart', (req, res) => {
    if (!hasSession(req, res)) return;
    res.json(cartView(shop(req).user, cartOf(shop(req))));
  });

  app.post('/api/cart/items', (req, res) => {
    if (!hasSession(req, res)) return;
    updateCart(req, res, addItem(cartOf(shop(req)), req.body));
  });

  app.delete('/api/cart/items/:sku', (req, res) => {
    if (!hasSession(req, res)) return;
    updateCart(req, res, removeItem(cartOf(shop(req)), String(req.params['sku'])));
  });

  app.post('/api/login', (req, res, next) => {
    if (!hasSession(req, res)) return;
    const user = userName(req.body);
    if (isRefusal(user)) return void res.status(user.status).json({ error: user.error });
    // A new sid at login (against session fixation); the cart chosen before logging in is kept.
    const cart = cartEntries(shop(req));
    req.session.regenerate((err) => {
      if (err) return next(err);
      shop(req).user = user;
      for (const [key, entry] of cart) (shop(req) as unknown as Record<string, unknown>)[key] = entry;
      res.json(cartView(user, cartOf(shop(req))));
    });
  });

  app.post('/api/logout', (req, res, next) => {
    if (!req.session) {
      res.json({ user: null, items: [] });
      return;
    }
    req.session.destroy((err) => {
      if (err) return next(err);
      res.clearCookie(SESSION_COOKIE);
      res.json({ user: null, items: [] });
    });
  });

  app.use('/api', (_req, res) => {
    res.status(404).json({ error: 'no such API route' });
  });
  app.use(errorHandler);
  return app;
}

/** With `failMode: 'open'` a request arrives without a session while the store is down. */
function hasSession(req: Request, res: Response): boolean {
  if (req.session) return true;
  res.status(503).json({ error: 'the session store is unavailable; try again shortly' });
  return false;
}

/** The request's session with the shop's fields typed. */
function shop(req: Request): ShopSession {
  return req.session as ShopSession;
}

function updateCart(req: Request, res: Response, result: Cart | Refusal): void {
  if (isRefusal(result)) return void res.status(result.status).json({ error: result.error });
  storeCart(shop(req), result);
  res.json(cartView(shop(req).user, result));
}

/**
 * `X-Session-Cookie: strategy=cookie; bytes=812; chunks=1`: the session cookie the browser sends
 * with each request from now on. For sealed cookies, the one this response sets (sealed now; the
 * response reuses that seal) or keeps; for a store, the sid cookie the request carried.
 */
function sessionCookieHeader(req: Request, strategy: 'cookie' | 'server'): string {
  if (strategy === 'cookie') {
    const info = sessionCookieInfo(req);
    return `strategy=cookie; bytes=${info?.bytes ?? 0}; chunks=${info?.chunks ?? 0}`;
  }
  const pair = (req.headers.cookie ?? '').split(/;\s*/).find((part) => part.startsWith(`${SESSION_COOKIE}=`));
  return `strategy=server; bytes=${pair?.length ?? 0}; chunks=${pair ? 1 : 0}`;
}

const errorHandler: ErrorRequestHandler = (
  err: { status?: number; statusCode?: number; message?: string },
  _req,
  res,
  _next,
) => {
  const status = err.status ?? err.statusCode ?? 500;
  if (status >= 500) console.error(err);
  res.status(status).json({ error: status >= 500 ? 'internal error' : (err.message ?? 'bad request') });
};
