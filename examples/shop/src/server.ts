/**
 * One shop instance, as the demo runner starts it (and as you would run it behind any balancer):
 *
 *   PORT=3001 INSTANCE_ID=shop-1 SESSION_STORE_URL=sqlite:/tmp/shop.db SHOP_SESSION_SECRET=… \
 *   (SESSION_STORE_URL=cookie:// keeps sessions sealed in the browser: no store at all)
 *     node --import tsx examples/shop/src/server.ts
 *
 * Stops cleanly on SIGINT/SIGTERM, and when the process that started it over IPC goes away.
 */
import type { AddressInfo } from 'node:net';
import { ReplicatedSessionStore } from 'sessionkit';
import { createShopApp } from './app.js';
import { EXIT_PORT_TAKEN } from './ports.js';
import { describeStoreUrl, isClientSide, openStore } from './store.js';

const env = process.env;
const instanceId = env['INSTANCE_ID'] ?? `shop-${process.pid}`;
const storeUrl = env['SESSION_STORE_URL'] ?? 'memory://';
const secret = env['SHOP_SESSION_SECRET'];
if (!secret) {
  console.error(
    'SHOP_SESSION_SECRET is required: every instance must sign (or, with cookie://, seal) session cookies with the same secret of 32 or more characters',
  );
  process.exit(2);
}

// cookie://: no store, the session travels sealed in the cookie; any other URL: a shared store.
const clientSide = isClientSide(storeUrl);
const store = clientSide ? undefined : openStore(storeUrl);
store?.on('error', (err) => console.error('store error:', err));
// A replicated store pulls the other nodes' sessions before it may serve.
if (store instanceof ReplicatedSessionStore) await store.ready();

const app = createShopApp({
  instanceId,
  store: store ?? storeUrl,
  secret,
  storeLabel: describeStoreUrl(storeUrl),
  routingLabel: env['SHOP_ROUTING'] ?? 'unknown',
});
// Express 5 calls back with the error when the port cannot be bound.
const server = app.listen(Number(env['PORT'] ?? 0), env['HOST'] ?? '127.0.0.1', (err?: Error) => {
  if (err) {
    console.error(`cannot listen: ${err.message}`);
    process.exit((err as NodeJS.ErrnoException).code === 'EADDRINUSE' ? EXIT_PORT_TAKEN : 1);
  }
  const { port } = server.address() as AddressInfo;
  console.log(`${instanceId} listening on http://127.0.0.1:${port} (pid ${process.pid})`);
  process.send?.({ type: 'ready', port });
});

let stopping = false;
async function stop(): Promise<void> {
  if (stopping) return;
  stopping = true;
  server.close();
  server.closeAllConnections();
  await store?.close().catch(() => {});
  process.exit(0);
}
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
// The runner holds an IPC channel: when it exits, even by crashing, this instance goes too.
process.on('disconnect', stop);
