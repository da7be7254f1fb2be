import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SessionStore } from 'sessionkit';
import { createShopApp, SESSION_COOKIE } from '../src/app.js';
import { CATALOG } from '../src/catalog.js';
import { Shopper } from '../src/shopper.js';
import { openStore } from '../src/store.js';

interface Running {
  url: string;
  server: Server;
}

async function start(instanceId: string, store: SessionStore): Promise<Running> {
  const app = createShopApp({
    instanceId,
    store,
    secret: 'test-secret-shared-by-instances',
    storeLabel: 'test',
    routingLabel: 'none',
  });
  const server = app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

function stop(running: Running): Promise<void> {
  running.server.closeAllConnections();
  return new Promise((resolve) => running.server.close(() => resolve()));
}

describe('the shop API on one instance', () => {
  let store: SessionStore;
  let shop: Running;
  beforeAll(async () => {
    store = openStore('memory://');
    shop = await start('solo', store);
  });
  afterAll(async () => {
    await stop(shop);
    await store.close();
  });

  it('logs in, adds, removes and reads back the cart', async () => {
    const shopper = new Shopper(shop.url, 'ada');
    expect((await shopper.login()).data).toEqual({ user: 'ada', items: [] });
    await shopper.request('POST', '/api/cart/items', { sku: 'tea', qty: 2 });
    await shopper.request('POST', '/api/cart/items', { sku: 'mug' });
    const added = await shopper.request('POST', '/api/cart/items', { sku: 'tea', qty: 1 });
    expect(added.data).toEqual({
      user: 'ada',
      items: [
        { sku: 'tea', qty: 3 },
        { sku: 'mug', qty: 1 },
      ],
    });
    const removed = await shopper.request('DELETE', '/api/cart/items/tea');
    expect(removed.data.items).toEqual([{ sku: 'mug', qty: 1 }]);
    expect((await shopper.request('GET', '/api/cart')).data).toEqual({ user: 'ada', items: [{ sku: 'mug', qty: 1 }] });
  });

  it('keeps the cart chosen before logging in, under a new session id', async () => {
    const shopper = new Shopper(shop.url, 'grace');
    await shopper.request('POST', '/api/cart/items', { sku: 'pen' });
    const before = await store.length();
    const login = await shopper.login();
    expect(login.data).toEqual({ user: 'grace', items: [{ sku: 'pen', qty: 1 }] });
    // regenerate() destroyed the anonymous session and created the logged-in one.
    expect(await store.length()).toBe(before);
  });

  it('logs out: the session is destroyed and the cart is empty', async () => {
    const shopper = new Shopper(shop.url, 'linus');
    await shopper.login();
    await shopper.request('POST', '/api/cart/items', { sku: 'kettle' });
    expect((await shopper.request('POST', '/api/logout')).data).toEqual({ user: null, items: [] });
    expect((await shopper.request('GET', '/api/cart')).data).toEqual({ user: null, items: [] });
  });

  it('answers every response, the page and errors included, with X-Served-By', async () => {
    for (const path of ['/', '/app.js', '/healthz', '/api/products', '/api/nope', '/nope']) {
      const response = await fetch(shop.url + path);
      expect(response.headers.get('x-served-by'), path).toBe('solo');
    }
    expect(await (await fetch(`${shop.url}/api/products`)).json()).toEqual({ products: CATALOG });
    expect(await (await fetch(`${shop.url}/`)).text()).toContain('<title>sessionkit shop</title>');
  });

  it('refuses bad input with a clear error and loses nothing', async () => {
    const shopper = new Shopper(shop.url, 'bad-input');
    await shopper.login();
    await shopper.request('POST', '/api/cart/items', { sku: 'tea', qty: 1 });
    const cases: [string, string, unknown, number, RegExp][] = [
      ['POST', '/api/cart/items', { sku: 'caviar' }, 404, /unknown sku "caviar"/],
      ['POST', '/api/cart/items', {}, 404, /unknown sku/],
      ['POST', '/api/cart/items', { sku: 'tea', qty: 0 }, 400, /qty must be an integer from 1 to 99/],
      ['POST', '/api/cart/items', { sku: 'tea', qty: 1.5 }, 400, /qty/],
      ['POST', '/api/cart/items', { sku: 'tea', qty: '2' }, 400, /qty/],
      ['DELETE', '/api/cart/items/caviar', undefined, 404, /unknown sku/],
      ['POST', '/api/login', { user: '' }, 400, /user must be/],
      ['POST', '/api/login', { user: '<script>' }, 400, /user must be/],
      ['POST', '/api/login', { user: 'x'.repeat(65) }, 400, /user must be/],
      ['GET', '/api/nope', undefined, 404, /no such API route/],
    ];
    for (const [method, path, body, status, error] of cases) {
      const answer = await shopper.request(method, path, body);
      expect(answer.status, `${method} ${path} ${JSON.stringify(body)}`).toBe(status);
      expect(answer.data.error).toMatch(error);
    }
    const malformed = await fetch(`${shop.url}/api/cart/items`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"sku":',
    });
    expect(malformed.status).toBe(400);
    expect(((await malformed.json()) as { error?: string }).error).toBeTruthy();
    expect((await shopper.request('GET', '/api/cart')).data).toEqual({
      user: 'bad-input',
      items: [{ sku: 'tea', qty: 1 }],
    });
  });

  it('caps a quantity at 99', async () => {
    const shopper = new Shopper(shop.url, 'bulk');
    await shopper.request('POST', '/api/cart/items', { sku: 'cookies', qty: 60 });
    const capped = await shopper.request('POST', '/api/cart/items', { sku: 'cookies', qty: 60 });
    expect(capped.data.items).toEqual([{ sku: 'cookies', qty: 99 }]);
  });
});

describe('two instances over one SQLite file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'shop-test-'));
  const stores: SessionStore[] = [];
  const shops: Running[] = [];
  beforeAll(async () => {
    for (const id of ['one', 'two']) {
      const store = openStore(`sqlite:${join(dir, 'sessions.db')}`);
      stores.push(store);
      shops.push(await start(id, store));
    }
  });
  afterAll(async () => {
    await Promise.all(shops.map(stop));
    await Promise.all(stores.map((store) => store.close()));
    rmSync(dir, { recursive: true, force: true });
  });

  it('serves the cart from either instance', async () => {
    const [one, two] = shops as [Running, Running];
    const onOne = new Shopper(one.url, 'hopper');
    await onOne.login();
    await onOne.request('POST', '/api/cart/items', { sku: 'notebook', qty: 2 });
    // The same browser (cookies) now talks to the other instance.
    onOne.baseUrl = two.url;
    const read = await onOne.request('GET', '/api/cart');
    expect(read.servedBy).toBe('two');
    expect(read.data).toEqual({ user: 'hopper', items: [{ sku: 'notebook', qty: 2 }] });
  });
});

describe('two instances on cookie:// (no store at all)', () => {
  const shops: Running[] = [];
  beforeAll(async () => {
    for (const id of ['one', 'two']) {
      const app = createShopApp({
        instanceId: id,
        store: 'cookie://',
        secret: 'test-secret-shared-by-instances-32+',
        storeLabel: 'cookie://',
        routingLabel: 'none',
      });
      const server = app.listen(0, '127.0.0.1');
      await new Promise((resolve) => server.once('listening', resolve));
      shops.push({ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server });
    }
  });
  afterAll(() => Promise.all(shops.map(stop)));

  it('serves the cart from either instance: the session travels sealed in the cookie, whose size the answers report', async () => {
    const [one, two] = shops as [Running, Running];
    const shopper = new Shopper(one.url, 'lovelace');
    await shopper.login();
    await shopper.request('POST', '/api/cart/items', { sku: 'notebook', qty: 2 });
    shopper.baseUrl = two.url;
    const read = await shopper.request('GET', '/api/cart');
    expect(read.servedBy).toBe('two');
    expect(read.data).toEqual({ user: 'lovelace', items: [{ sku: 'notebook', qty: 2 }] });
    // A cookie that does not open is no session: nothing to report.
    const response = await fetch(`${two.url}/api/cart`, { headers: { cookie: `${SESSION_COOKIE}=x` } });
    expect(response.headers.get('x-session-cookie')).toBe('strategy=cookie; bytes=0; chunks=0');
    // Each add grows the sealed cookie, and the answer says to what size.
    const sizes: number[] = [];
    for (const sku of ['tea', 'mug', 'pen']) {
      const added = await shopper.request('POST', '/api/cart/items', { sku });
      expect(added.sessionCookie).toMatch(/^strategy=cookie; bytes=\d+; chunks=1$/);
      sizes.push(Number(/bytes=(\d+)/.exec(added.sessionCookie!)![1]));
    }
    expect(sizes[2]).toBeGreaterThan(sizes[0]!);
    expect(Buffer.byteLength(shopper.cookieHeader)).toBe(sizes[2]);
  });
});
