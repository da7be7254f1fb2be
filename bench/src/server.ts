// Child process: the benchmarked Express 5 + express-session app (or the Fastify one) on one store. Driven over IPC
// by the runner (main.ts): `mark` reports this process's CPU time, requests and backend calls
// so far; `ops` runs the store-level benchmark on the same store; `close` shuts down.
import type { ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import session from 'express-session';
import type { Engine, Framework } from './catalog.js';
import { listenFastify } from './fastify-app.js';
import { SESSION_MAX_AGE_MS, SESSION_SECRET, type BackendConfig } from './backend-config.js';
import { runChild, type ChildService } from './ipc.js';
import { openStore } from './open-store.js';
import { runOperations, type OpsArgs } from './ops.js';
import { backendCallsSent, countBackendCalls } from './backend-counter.js';

/** The app's session: a cart of item counts. (Not a module augmentation: that would reach every package's types.) */
type CartSession = { cart?: Record<string, number> } | undefined;

export interface ServerArgs {
  store: string;
  engine: Engine;
  framework: Framework;
  backend: BackendConfig;
}

/** What `mark` answers: totals since the process started, so the runner takes differences. */
export interface ServerMark {
  /** User + system CPU time of this process, in microseconds. */
  cpuMicros: number;
  requests: number;
  /** SQL statements or Redis commands the store's driver sent. */
  sent: number;
  /** Header bytes of the requests received (`name: value` + CRLF per field, request line not counted). */
  requestHeaderBytes: number;
  /** Header bytes of the responses sent, counted the same way (status line not counted). */
  responseHeaderBytes: number;
}

/** Bytes of header fields as they travel: `name: value\r\n` each. */
function rawHeaderBytes(raw: string[]): number {
  let bytes = 0;
  for (let i = 0; i < raw.length; i += 2) bytes += raw[i]!.length + raw[i + 1]!.length + 4;
  return bytes;
}

function responseHeaderBytes(res: ServerResponse): number {
  let bytes = 0;
  for (const [name, value] of Object.entries(res.getHeaders())) {
    for (const one of Array.isArray(value) ? value : [value]) bytes += name.length + String(one).length + 4;
  }
  return bytes;
}

const args = JSON.parse(process.env.BENCH_SERVER ?? '{}') as ServerArgs;

await runChild(async (): Promise<ChildService> => {
  if (args.engine === 'postgres' || args.engine === 'mysql' || args.engine === 'sqlite' || args.engine === 'redis') countBackendCalls(args.engine);
  const store = await openStore(args.store, args.backend);
  let requests = 0;
  let requestHeaders = 0;
  let responseHeaders = 0;
  const counted = () => void (requests += 1);
  const mark = (): ServerMark => {
    const cpu = process.cpuUsage();
    return { cpuMicros: cpu.user + cpu.system, requests, sent: backendCallsSent(), requestHeaderBytes: requestHeaders, responseHeaderBytes: responseHeaders };
  };
  if (args.framework === 'fastify') {
    const fastify = await listenFastify(store, counted);
    return {
      port: fastify.port,
      handlers: { mark },
      close: async () => {
        await fastify.close();
        await store.close();
      },
    };
  }

  const app = express();
  app.disable('x-powered-by');
  app.use((req, res, next) => {
    requests += 1;
    requestHeaders += rawHeaderBytes(req.rawHeaders);
    res.once('finish', () => (responseHeaders += responseHeaderBytes(res)));
    next();
  });
  if (store.express) {
    app.use(
      session({
        store: store.express,
        secret: SESSION_SECRET,
        resave: false,
        saveUninitialized: false,
        cookie: { maxAge: SESSION_MAX_AGE_MS },
      }),
    );
  }
  // Client-side storage in place of express-session: the session travels in the cookie.
  if (store.middleware) app.use(store.middleware);
  const iron = store.iron;
  if (iron) {
    // iron-session as its README shows it: the handler opens the session and saves what it changed.
    app.get('/cart', async (req, res) => {
      const ironSession = (await iron(req, res)) as NonNullable<CartSession>;
      res.json({ items: ironSession.cart ?? {} });
    });
    app.post('/cart/add', async (req, res) => {
      const sku = typeof req.query.sku === 'string' ? req.query.sku : 'sku-0';
      const ironSession = await iron(req, res);
      const cart = (ironSession as NonNullable<CartSession>).cart;
      ironSession['cart'] = { ...cart, [sku]: (cart?.[sku] ?? 0) + 1 };
      await ironSession.save();
      res.json({ added: sku });
    });
  } else {
    // Read-only request: loads the session and changes nothing.
    app.get('/cart', (req, res) => {
      res.json({ items: (req.session as CartSession)?.cart ?? {} });
    });
    // Write request: adds one item to the cart (8 distinct SKUs, so a session stays small).
    app.post('/cart/add', (req, res) => {
      const sku = typeof req.query.sku === 'string' ? req.query.sku : 'sku-0';
      const cartSession = req.session as CartSession;
      if (cartSession) cartSession.cart = { ...cartSession.cart, [sku]: (cartSession.cart?.[sku] ?? 0) + 1 };
      res.json({ added: sku });
    });
  }

  const server = app.listen(0, '127.0.0.1');
  await new Promise<void>((resolve, reject) => server.once('listening', resolve).once('error', reject));
  server.keepAliveTimeout = 60_000;

  return {
    port: (server.address() as AddressInfo).port,
    handlers: {
      mark,
      ops: (opsArgs) => {
        if (!store.ops) throw new Error(`${args.store} has no store API`);
        return runOperations(store.ops, opsArgs as OpsArgs);
      },
    },
    close: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      await store.close();
    },
  };
});
