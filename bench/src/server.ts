// Child process: the benchmarked Express 5 + express-session app (or the Fastify one) on one store. Driven over IPC
// by the runner (main.ts): `mark` reports this process's CPU time, requests and backend calls
// so far; `ops` runs the store-level benchmark on the same store; `close` shuts down.
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
}

const args = JSON.parse(process.env.BENCH_SERVER ?? '{}') as ServerArgs;

await runChild(async (): Promise<ChildService> => {
  if (args.engine === 'postgres' || args.engine === 'mysql' || args.engine === 'sqlite' || args.engine === 'redis') countBackendCalls(args.engine);
  const store = await openStore(args.store, args.backend);
  let requests = 0;
  const counted = () => void (requests += 1);
  const mark = (): ServerMark => {
    const cpu = process.cpuUsage();
    return { cpuMicros: cpu.user + cpu.system, requests, sent: backendCallsSent() };
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
  app.use((_req, _res, next) => {
    requests += 1;
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
