import { fileURLToPath } from 'node:url';
import Koa from 'koa';
import Router from '@koa/router';
import { bodyParser } from '@koa/bodyparser';
import serve from 'koa-static';
import session from 'koa-session';
import { koaStore } from 'sessionkit/koa';
// The same cart rules, catalog and page as the Express shop.
import { addItem, cartView, isRefusal, removeItem, userName, type Cart, type Refusal } from '../../shop/src/cart.js';
import { CATALOG } from '../../shop/src/catalog.js';

const PUBLIC_DIR = fileURLToPath(new URL('../../shop/src/public/', import.meta.url));

export interface KoaShopOptions {
  /** Sent as `X-Served-By` on every response. */
  instanceId: string;
  /** Any sessionkit store, e.g. from `createStore(process.env.SESSION_STORE_URL)`. */
  store: Parameters<typeof koaStore>[0];
  /** Signs the session cookie (Koa's `app.keys`); the same on every instance. */
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
 * The shop's cart on Koa: koa-session with sessionkit's `koaStore`, the same JSON API
 * (`/api/login`, `/api/logout`, `/api/cart`, `/api/cart/items`) and page as the Express shop.
 */
export function createKoaShop(options: KoaShopOptions): Koa {
  const app = new Koa();
  app.keys = [options.secret];

  app.use(async (ctx, next) => {
    ctx.set('X-Served-By', options.instanceId);
    try {
      await next();
    } catch (err) {
      const status = (err as { status?: number }).status ?? 500;
      if (status >= 500) console.error(err);
      ctx.status = status;
      ctx.body = { error: status >= 500 ? 'internal error' : (err as Error).message };
    }
  });
  app.use(serve(PUBLIC_DIR));
  app.use(
    session(
      {
        key: SESSION_COOKIE,
        store: koaStore(options.store),
        maxAge: 30 * 60_000,
        httpOnly: true,
        sameSite: 'lax',
        signed: true,
      },
      app,
    ),
  );
  app.use(
    bodyParser({
      enableTypes: ['json'],
      jsonLimit: '4kb',
      onError: (err, ctx) => ctx.throw(400, `the body is not valid JSON: ${err.message}`),
    }),
  );

  const router = new Router({ prefix: '/api' });
  const shop = (ctx: Koa.Context) => ctx.session as unknown as ShopSession;
  const updateCart = (ctx: Koa.Context, result: Cart | Refusal) => {
    if (isRefusal(result)) {
      ctx.status = result.status;
      ctx.body = { error: result.error };
      return;
    }
    shop(ctx).cart = result;
    ctx.body = cartView(shop(ctx).user, result);
  };

  router.get('/info', (ctx) => {
    ctx.body = {
      instance: options.instanceId,
      pid: process.pid,
      store: options.storeLabel,
      routing: 'none (one Koa instance)',
    };
  });
  router.get('/products', (ctx) => {
    ctx.body = { products: CATALOG };
  });
  router.get('/cart', (ctx) => {
    ctx.body = cartView(shop(ctx).user, shop(ctx).cart);
  });
  router.post('/cart/items', (ctx) => updateCart(ctx, addItem(shop(ctx).cart, ctx.request.body)));
  router.delete('/cart/items/:sku', (ctx) => updateCart(ctx, removeItem(shop(ctx).cart, ctx.params['sku'] ?? '')));
  router.post('/login', async (ctx) => {
    const user = userName(ctx.request.body);
    if (isRefusal(user)) {
      ctx.status = user.status;
      ctx.body = { error: user.error };
      return;
    }
    shop(ctx).user = user;
    // A new key at login (against session fixation): the old one is destroyed, the data kept.
    await ctx.session!.regenerate();
    ctx.body = cartView(user, shop(ctx).cart);
  });
  router.post('/logout', (ctx) => {
    ctx.session = null;
    ctx.body = cartView(undefined, undefined);
  });

  app.use(router.routes());
  app.use(router.allowedMethods());
  app.use((ctx) => {
    if (!ctx.path.startsWith('/api/')) return;
    ctx.status = 404;
    ctx.body = { error: 'no such API route' };
  });
  return app;
}
