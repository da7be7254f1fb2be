/**
 * `npx tsx examples/shop/src/cookie-sizes.ts`: what the sealed session cookie weighs on the shop's
 * own carts, with and without `compress`. Runs the shop twice in this process (`cookie://` and
 * `cookie://?compress=true`), signs in, adds every product one by one, and prints the size of the
 * session cookie after each step as the shop reports it (`X-Session-Cookie`).
 */
import type { AddressInfo } from 'node:net';
import { createShopApp } from './app.js';
import { CATALOG } from './catalog.js';
import { Shopper } from './shopper.js';

const SECRET = 'cookie-size-measurement-secret-0123456789';

async function sizes(storeUrl: string): Promise<number[]> {
  const app = createShopApp({
    instanceId: 'measure',
    store: storeUrl,
    secret: SECRET,
    storeLabel: storeUrl,
    routingLabel: 'none',
  });
  const server = app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  try {
    const shopper = new Shopper(`http://127.0.0.1:${(server.address() as AddressInfo).port}`, 'Ada Lovelace');
    const bytes = (answer: { sessionCookie?: string }) =>
      Number(/bytes=(\d+)/.exec(answer.sessionCookie ?? '')?.[1] ?? 0);
    const measured = [bytes(await shopper.login())];
    for (const product of CATALOG)
      measured.push(bytes(await shopper.request('POST', '/api/cart/items', { sku: product.sku, qty: 2 })));
    return measured;
  } finally {
    server.closeAllConnections();
    server.close();
  }
}

const plain = await sizes('cookie://');
const packed = await sizes('cookie://?compress=true');
console.log('products in cart | cookie bytes | with compress | saved');
console.log('---: | ---: | ---: | ---:');
plain.forEach((bytes, items) => {
  const saved = Math.round((100 * (bytes - packed[items]!)) / bytes);
  console.log(`${items} | ${bytes} | ${packed[items]} | ${saved} %`);
});
