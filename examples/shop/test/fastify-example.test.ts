// The Fastify example (examples/fastify) is tested here: a test/ folder there would make a second vitest
// project named "fastify", next to packages/fastify.
import { expect, it } from 'vitest';
import { Shopper } from '../src/shopper.js';
import { describeExample, startExample } from './support/example-scenario.js';

const example = { name: 'fastify', instance: 'fastify-1', secret: 'fastify-example-test-secret-of-32-characters' };

describeExample(example, () => {
  it('--store cookie:// keeps the cart in the sealed cookie: a restarted process with no store still has it', {
    timeout: 120_000,
  }, async () => {
    const first = await startExample(example, 'cookie://');
    const shopper = new Shopper(first.url, 'cookie-user');
    expect((await shopper.login()).data).toEqual({ user: 'cookie-user', items: [] });
    const added = await shopper.request('POST', '/api/cart/items', { sku: 'tea', qty: 2 });
    expect(added.data).toEqual({ user: 'cookie-user', items: [{ sku: 'tea', qty: 2 }] });
    // The session is a JWE in the cookie, not a signed sid.
    expect(shopper.cookieHeader).toMatch(/^shop\.sid=[\w-]+\.\.[\w-]+\.[\w-]+\.[\w-]+$/);
    first.script.child.kill('SIGINT');
    expect(await first.script.exited).toBe(0);

    const second = await startExample(example, 'cookie://');
    shopper.baseUrl = second.url;
    expect((await shopper.request('GET', '/api/cart')).data).toEqual({
      user: 'cookie-user',
      items: [{ sku: 'tea', qty: 2 }],
    });
    expect((await shopper.request('POST', '/api/logout')).data).toEqual({ user: null, items: [] });
    expect((await shopper.request('GET', '/api/cart')).data).toEqual({ user: null, items: [] });
    second.script.child.kill('SIGTERM');
    expect(await second.script.exited).toBe(0);
  });
});
