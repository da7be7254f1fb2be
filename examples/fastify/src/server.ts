/**
 * `pnpm demo:fastify`: the shop's cart on Fastify, one instance.
 *
 *   pnpm demo:fastify [--port 3000] [--store <url>]
 *
 * The store defaults to `memory://`; any sessionkit store URL works (`sqlite:./sessions.db`,
 * `redis://127.0.0.1:6379`, `postgres://…`, `mysql://…`), and `cookie://` seals the session into
 * the browser's cookie instead. Stops cleanly on Ctrl-C.
 */
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { announce, orExit2, parseExampleArgs, stopOnSignals } from '../../shop/src/example-server.js';
import { describeStoreUrl } from '../../shop/src/store.js';
import { createFastifyShop } from './app.js';

const { port, storeUrl } = parseExampleArgs(
  process.argv.slice(2),
  'Usage: pnpm demo:fastify [--port 3000] [--store memory://]',
);
const app = orExit2(() =>
  createFastifyShop({
    instanceId: 'fastify-1',
    store: storeUrl,
    secret: process.env['SHOP_SESSION_SECRET'] ?? randomBytes(32).toString('base64url'),
    storeLabel: describeStoreUrl(storeUrl),
  }),
);
try {
  await app.listen({ port, host: '127.0.0.1' });
} catch (err) {
  console.error(`could not listen on port ${port}: ${(err as Error).message}`);
  process.exit(1);
}
announce('Fastify', storeUrl, (app.server.address() as AddressInfo).port);
// Closing the app closes the store session() opened from the URL.
stopOnSignals(async () => {
  app.server.closeAllConnections();
  await app.close();
});
