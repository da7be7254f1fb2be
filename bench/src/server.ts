// Child process: the benchmarked Express 5 + express-session app (or, for the `fastify:` rows, the
// Fastify 5 + @fastify/session one in fastify-app.ts) on one store. Driven over IPC by the runner
// (main.ts): `mark` reports this process's CPU time, requests, request and response header bytes
// and backend calls so far; `profile-start` / `profile-stop` record a CPU profile of one window
// (inspector Profiler, main thread only); `ops` runs the store-level benchmark on the same store;
// `close` shuts down.
import { mkdirSync, writeFileSync } from 'node:fs';
import { Session as InspectorSession } from 'node:inspector/promises';
import type { AddressInfo } from 'node:net';
import { dirname } from 'node:path';
import express from 'express';
import session from 'express-session';
import type { Engine, Framework } from './catalog.js';
import { listenFastify } from './fastify-app.js';
import { SESSION_MAX_AGE_MS, SESSION_SECRET, type BackendConfig } from './backend-config.js';
import { runChild, type ChildService } from './ipc.js';
import { openStore, type OpenedStore } from './open-store.js';
import { runOperations, type OpsArgs } from './ops.js';
import { backendCallsSent, countBackendCalls } from './backend-counter.js';
import { PROFILE_SAMPLING_INTERVAL_US } from './profile.js';
import { headerFieldBytes, rawHeaderBytes, type RequestMeter } from './request-meter.js';
import { cpuMicros, type CounterMark } from './stats.js';

/** The app's session: a cart of item counts. (Not a module augmentation: that would reach every package's types.) */
type CartSession = { cart?: Record<string, number> } | undefined;

export interface ServerArgs {
  store: string;
  engine: Engine;
  framework: Framework;
  backend: BackendConfig;
}

/** What `mark` answers: totals since the process started, so the runner takes differences. */
export interface ServerMark extends CounterMark {
  /** Header bytes of the requests received (`name: value` + CRLF per field, request line not counted). */
  requestHeaderBytes: number;
  /** Header bytes of the responses sent, counted the same way (status line not counted). */
  responseHeaderBytes: number;
}

const args = JSON.parse(process.env.BENCH_SERVER ?? '{}') as ServerArgs;

await runChild(async (): Promise<ChildService> => {
  if (args.engine === 'postgres' || args.engine === 'mysql' || args.engine === 'sqlite' || args.engine === 'redis')
    countBackendCalls(args.engine);
  const store = await openStore(args.store, args.backend);
  let requests = 0;
  let requestHeaders = 0;
  let responseHeaders = 0;
  const meter: RequestMeter = {
    request: (rawHeaders) => {
      requests += 1;
      requestHeaders += rawHeaderBytes(rawHeaders);
    },
    response: (headers) => void (responseHeaders += headerFieldBytes(headers)),
  };
  const app = args.framework === 'fastify' ? await listenFastify(store, meter) : await listenExpress(store, meter);

  let inspector: InspectorSession | undefined;

  return {
    port: app.port,
    handlers: {
      mark: (): ServerMark => ({
        cpuMicros: cpuMicros(process.cpuUsage()),
        requests,
        sent: backendCallsSent(),
        requestHeaderBytes: requestHeaders,
        responseHeaderBytes: responseHeaders,
      }),
      'profile-start': async () => {
        if (!inspector) {
          inspector = new InspectorSession();
          inspector.connect();
          await inspector.post('Profiler.enable');
          await inspector.post('Profiler.setSamplingInterval', { interval: PROFILE_SAMPLING_INTERVAL_US });
        }
        await inspector.post('Profiler.start');
        return null;
      },
      'profile-stop': async (stopArgs) => {
        const { file } = stopArgs as { file: string };
        const { profile } = await inspector!.post('Profiler.stop');
        mkdirSync(dirname(file), { recursive: true });
        writeFileSync(file, JSON.stringify(profile));
        return null;
      },
      ops: (opsArgs) => {
        if (!store.ops) throw new Error(`${args.store} has no store API`);
        return runOperations(store.ops, opsArgs as OpsArgs);
      },
    },
    close: async () => {
      await app.close();
      await store.close();
    },
  };
});

/**
 * The Express 5 app on a free port of 127.0.0.1: express-session on the store, or the client-side
 * rows' middleware (or iron-session in the handlers) in its place. `meter` sees every request and response.
 */
async function listenExpress(
  store: OpenedStore,
  meter: RequestMeter,
): Promise<{ port: number; close(): Promise<void> }> {
  const app = express();
  app.disable('x-powered-by');
  app.use((req, res, next) => {
    meter.request(req.rawHeaders);
    res.once('finish', () => meter.response(res.getHeaders()));
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
    close: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
