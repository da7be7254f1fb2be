import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { Shopper } from '../../src/shopper.js';
import { runScript, stopScripts } from './scripts.js';

/** One framework example (examples/<name>) as its `pnpm demo:<name>` script starts it. */
export interface Example {
  /** `koa`, `fastify`: the folder under examples/ and the `demo:` script. */
  name: string;
  /** What every response's `X-Served-By` says. */
  instance: string;
  /** A fixed cookie secret, as a deployment sets it (the default is random per start). */
  secret: string;
}

/** Starts the example on a free port over `store`; resolves once it prints its URL. */
export async function startExample(example: Example, store: string) {
  const script = runScript(`examples/${example.name}/src/server.ts`, ['--port', '0', '--store', store], {
    SHOP_SESSION_SECRET: example.secret,
  });
  const [, url] = await script.waitFor(/^Open (http:\/\/127\.0\.0\.1:\d+)/);
  return { script, url: url! };
}

/**
 * The scenarios every framework example passes: a cart kept across a restart of the process over
 * the same SQLite file, the shop's page, the same refusals for bad input, and an unknown store
 * URL refused with exit code 2. Registers a vitest `describe`; `more` adds the example's own tests.
 */
export function describeExample(example: Example, more?: () => void): void {
  const dir = mkdtempSync(join(tmpdir(), `${example.name}-example-`));
  afterEach(stopScripts);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  describe(`pnpm demo:${example.name}`, () => {
    it('keeps the cart in the store: a restarted process over the same SQLite file still has it', {
      timeout: 120_000,
    }, async () => {
      const store = `sqlite:${join(dir, 'sessions.db')}`;
      const user = `${example.name}-user`;
      const first = await startExample(example, store);
      const shopper = new Shopper(first.url, user);
      expect((await shopper.login()).data).toEqual({ user, items: [] });
      await shopper.request('POST', '/api/cart/items', { sku: 'tea', qty: 2 });
      const added = await shopper.request('POST', '/api/cart/items', { sku: 'pen' });
      expect(added.servedBy).toBe(example.instance);
      expect(added.data).toEqual({
        user,
        items: [
          { sku: 'tea', qty: 2 },
          { sku: 'pen', qty: 1 },
        ],
      });
      expect((await shopper.request('DELETE', '/api/cart/items/tea')).data.items).toEqual([{ sku: 'pen', qty: 1 }]);
      first.script.child.kill('SIGINT');
      expect(await first.script.exited).toBe(0);

      const second = await startExample(example, store);
      shopper.baseUrl = second.url;
      expect((await shopper.request('GET', '/api/cart')).data).toEqual({ user, items: [{ sku: 'pen', qty: 1 }] });
      expect((await shopper.request('POST', '/api/logout')).data).toEqual({ user: null, items: [] });
      expect((await shopper.request('GET', '/api/cart')).data).toEqual({ user: null, items: [] });

      // The same page as the Express shop, and the same refusals for bad input.
      expect(await (await fetch(second.url)).text()).toContain('<title>sessionkit shop</title>');
      for (const [method, path, body, status] of [
        ['POST', '/api/cart/items', { sku: 'caviar' }, 404],
        ['POST', '/api/cart/items', { sku: 'tea', qty: 100 }, 400],
        ['POST', '/api/login', { user: '' }, 400],
        ['DELETE', '/api/cart/items/caviar', undefined, 404],
        ['GET', '/api/nope', undefined, 404],
      ] as const) {
        const answer = await shopper.request(method, path, body);
        expect(answer.status, `${method} ${path}`).toBe(status);
        expect(answer.data.error).toEqual(expect.any(String));
      }
      const malformed = await fetch(`${second.url}/api/cart/items`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{',
      });
      expect(malformed.status).toBe(400);
      second.script.child.kill('SIGTERM');
      expect(await second.script.exited).toBe(0);
    });

    it('refuses an unknown store URL with the known schemes, exit code 2', { timeout: 120_000 }, async () => {
      const script = runScript(`examples/${example.name}/src/server.ts`, ['--store', 'nosuch://x']);
      expect(await script.exited).toBe(2);
      expect(script.lines.join('\n')).toMatch(/--store: No session store is registered for "nosuch:"/);
    });

    more?.();
  });
}
