/**
 * `pnpm demo:fastify`: the shop's cart on Fastify, one instance.
 *
 *   pnpm demo:fastify [--port 3000] [--store <url>]
 *
 * The store defaults to `memory://`; any sessionkit store URL works (`sqlite:./sessions.db`,
 * `redis://127.0.0.1:6379`, `postgres://…`, `mysql://…`). Stops cleanly on Ctrl-C.
 */
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { parseArgs } from 'node:util';
import { withoutSeparator } from '../../shop/src/demo-args.js';
import { describeStoreUrl, openStore } from '../../shop/src/store.js';
import { createFastifyShop } from './app.js';

const USAGE = 'Usage: pnpm demo:fastify [--port 3000] [--store memory://]';

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
const app = createFastifyShop({
  instanceId: 'fastify-1',
  store,
  secret: process.env['SHOP_SESSION_SECRET'] ?? randomBytes(32).toString('base64url'),
  storeLabel: describeStoreUrl(storeUrl),
});
try {
  await app.listen({ port, host: '127.0.0.1' });
} catch (err) {
  console.error(`could not listen on port ${port}: ${(err as Error).message}`);
  process.exit(1);
}
const { port: bound } = app.server.address() as AddressInfo;
console.log(`sessionkit shop on Fastify\n  store  ${describeStoreUrl(storeUrl)}\n\nOpen http://127.0.0.1:${bound}  (Ctrl-C stops it)`);

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    app.server.closeAllConnections();
    void app
      .close()
      .then(() => store.close())
      .finally(() => process.exit(0));
  });
}
