/**
 * `pnpm demo:koa`: the shop's cart on Koa, one instance.
 *
 *   pnpm demo:koa [--port 3000] [--store <url>]
 *
 * The store defaults to `memory://`; any sessionkit store URL works (`sqlite:./sessions.db`,
 * `redis://127.0.0.1:6379`, `postgres://…`, `mysql://…`). Stops cleanly on Ctrl-C.
 */
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { announce, orExit2, parseExampleArgs, stopOnSignals } from '../../shop/src/example-server.js';
import { describeStoreUrl, openStore } from '../../shop/src/store.js';
import { createKoaShop } from './app.js';

const { port, storeUrl } = parseExampleArgs(
  process.argv.slice(2),
  'Usage: pnpm demo:koa [--port 3000] [--store memory://]',
);
const store = orExit2(() => openStore(storeUrl));
const app = createKoaShop({
  instanceId: 'koa-1',
  store,
  secret: process.env['SHOP_SESSION_SECRET'] ?? randomBytes(24).toString('base64url'),
  storeLabel: describeStoreUrl(storeUrl),
});
const server = app.listen(port, '127.0.0.1');
server.once('listening', () => announce('Koa', storeUrl, (server.address() as AddressInfo).port));
server.once('error', (err) => {
  console.error(`could not listen on port ${port}: ${err.message}`);
  process.exit(1);
});
stopOnSignals(async () => {
  server.close();
  server.closeAllConnections();
  await store.close();
});
