import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ExpressSessionStore } from '@sessionkit/express';
import { engineAvailable } from '@sessionkit/test-suite';
import { RedisStore } from 'connect-redis';
import express from 'express';
import session from 'express-session';
import { createClient } from 'redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisSessionStore } from '../src/index.js';
import { CLIENT_KINDS, command, withClient } from './support/clients.js';
import { addressOf, recordCommands, RedisServer, redisServerBinary } from './support/servers.js';

const available = await engineAvailable(
  'redis-server binary',
  redisServerBinary,
  'install Redis (apt-get install redis-server)',
);
const REQUESTS = 20;

declare module 'express-session' {
  interface SessionData {
    user: string;
    cart: string[];
  }
}

/** A small Express 5 app: GET /me only reads the session, POST /cart and /login change it. */
async function listen(store: session.Store): Promise<{ url: string; close(): Promise<void> }> {
  const app = express();
  app.use(
    session({ store, secret: 'command-count', resave: false, saveUninitialized: false, cookie: { maxAge: 600_000 } }),
  );
  app.post('/login', (req, res) => {
    req.session.user = 'alice';
    res.json({ ok: true });
  });
  app.get('/me', (req, res) => {
    res.json({ user: req.session.user ?? null, cart: req.session.cart ?? [] });
  });
  app.post('/cart', (req, res) => {
    req.session.cart = [...(req.session.cart ?? []), 'tea'];
    res.json({ cart: req.session.cart });
  });
  const server = await new Promise<Server>((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

/** A browser with one cookie jar entry. */
function browser(base: string) {
  let cookie = '';
  return async (method: 'GET' | 'POST', path: string): Promise<unknown> => {
    const res = await fetch(base + path, { method, headers: cookie ? { cookie } : {} });
    const set = res.headers.get('set-cookie');
    if (set) cookie = set.split(';')[0]!;
    if (res.status !== 200) throw new Error(`${method} ${path} answered ${res.status}`);
    return res.json();
  };
}

/**
 * Redis commands per request of each kind, recorded with MONITOR around N requests. Only the
 * store's own connection counts (`clientInfo` asks it for CLIENT INFO after the warm-up): what the
 * design guarantees is the store's commands per request, not whatever else talks to the server.
 */
async function measure(server: RedisServer, store: session.Store, clientInfo: () => Promise<string>) {
  const app = await listen(store);
  try {
    const request = browser(app.url);
    await request('POST', '/login');
    // warm-up: the first script call on a connection is an EVAL, every later one an EVALSHA
    await request('POST', '/cart');
    await request('GET', '/me');
    const from = [addressOf(await clientInfo())];
    const perRequest = async (method: 'GET' | 'POST', path: string) => {
      const commands = await recordCommands(
        server,
        async () => {
          for (let i = 0; i < REQUESTS; i++) {
            await request(method, path);
            // another connection's handshake (INFO ready check) and commands during the recording,
            // as a busy server sees them: they are not this store's and must not count
            if (i === REQUESTS / 2) {
              const bystander = server.client();
              await bystander.ping();
              bystander.disconnect();
            }
          }
        },
        from,
      );
      const counts: Record<string, number> = {};
      for (const [name] of commands) counts[name!] = (counts[name!] ?? 0) + 1;
      return Object.fromEntries(Object.entries(counts).map(([name, total]) => [name, total / REQUESTS]));
    };
    return { read: await perRequest('GET', '/me'), write: await perRequest('POST', '/cart') };
  } finally {
    await app.close();
  }
}

describe.skipIf(!available)(
  'Redis commands per request through express-session (MONITOR on a test-owned redis-server)',
  () => {
    let server: RedisServer;
    beforeAll(async () => {
      server = await RedisServer.start();
    });
    afterAll(() => server?.destroy());

    it.each(
      CLIENT_KINDS.flatMap(
        (kind) =>
          [
            [kind, 'hash', { hgetall: 1 }, { hgetall: 1, evalsha: 1 }],
            [kind, 'json', { get: 1 }, { get: 1, evalsha: 1 }],
          ] as const,
      ),
    )(
      'sessionkit on %s, format %s: one command per read-only request, two per write request',
      async (kind, format, read, write) => {
        const store = RedisSessionStore.fromUrl(withClient(server.url, kind), {
          format,
          prefix: `count-${kind}-${format}:`,
        });
        try {
          const measured = await measure(server, new ExpressSessionStore(store), async () =>
            String(await command(store.client, ['CLIENT', 'INFO'])),
          );
          console.info(
            `[commands per request] sessionkit ${kind} ${format}: read ${JSON.stringify(measured.read)}, write ${JSON.stringify(measured.write)}`,
          );
          expect(measured.read).toEqual(read);
          expect(measured.write).toEqual(write);
        } finally {
          await store.close();
        }
      },
    );

    it('connect-redis 9 on the same app, for comparison: GET + EXPIRE per read-only request, GET + SET per write', async () => {
      const client = createClient({ url: server.url });
      await client.connect();
      try {
        const measured = await measure(server, new RedisStore({ client, prefix: 'count-connect-redis:' }), async () =>
          String(await client.sendCommand(['CLIENT', 'INFO'])),
        );
        console.info(
          `[commands per request] connect-redis 9: read ${JSON.stringify(measured.read)}, write ${JSON.stringify(measured.write)}`,
        );
        expect(measured.read).toEqual({ get: 1, expire: 1 });
        expect(measured.write).toEqual({ get: 1, set: 1 });
      } finally {
        await client.quit();
      }
    });
  },
);
