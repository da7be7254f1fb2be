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
import { parseArgs } from 'node:util';
import { withoutSeparator } from '../../shop/src/demo-args.js';
import { describeStoreUrl, openStore } from '../../shop/src/store.js';
import { createKoaShop } from './app.js';

const USAGE = 'Usage: pnpm demo:koa [--port 3000] [--store memory://]';

let port: number;
let storeUrl: string;
try {
  const { values } = parseArgs({
    args: withoutSeparator(process.argv.slice(2)),
    options: { port: { type: 'string', default: '3000' }, store: { type: 'string', default: 'memory://' }, help: { type: 'boolean', short: 'h' } },
  });
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  port = Number(values.port);
  if (!/^\d+$/.test(values.port) || port > 65_535) throw new Error(`--port must be a whole number from 0 to 65535, got ${JSON.stringify(values.port)}`);
  storeUrl = values.store;
} catch (err) {
  console.error(`${(err as Error).message}\n${USAGE}`);
  process.exit(2);
}

let store;
try {
  store = openStore(storeUrl);
} catch (err) {
  console.error(`--store: ${(err as Error).message}`);
  process.exit(2);
}
const app = createKoaShop({
  instanceId: 'koa-1',
  store,
  secret: process.env['SHOP_SESSION_SECRET'] ?? randomBytes(24).toString('base64url'),
  storeLabel: describeStoreUrl(storeUrl),
});
const server = app.listen(port, '127.0.0.1');
server.once('listening', () => {
  const { port: bound } = server.address() as AddressInfo;
  console.log(`sessionkit shop on Koa\n  store  ${describeStoreUrl(storeUrl)}\n\nOpen http://127.0.0.1:${bound}  (Ctrl-C stops it)`);
});
server.once('error', (err) => {
  console.error(`could not listen on port ${port}: ${err.message}`);
  process.exit(1);
});

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    server.close();
    server.closeAllConnections();
    void store.close().finally(() => process.exit(0));
  });
}
