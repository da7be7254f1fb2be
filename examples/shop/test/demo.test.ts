import { afterEach, describe, expect, it } from 'vitest';
import { findFreePortRange } from '../src/ports.js';
import { Shopper } from '../src/shopper.js';
import { alive, runScript, stopScripts } from './support/scripts.js';

const DEMO = 'examples/shop/src/demo.ts';
const demo = (args: string[]) => runScript(DEMO, args);
afterEach(stopScripts);

describe('pnpm demo', () => {
  it('serves one cart across instances through the balancer and leaves no process behind on Ctrl-C', {
    timeout: 120_000,
  }, async () => {
    const port = await findFreePortRange(4);
    const script = demo(['--port', String(port)]);
    const [, url] = await script.waitFor(/^Open (http:\/\/127\.0\.0\.1:\d+)/);
    expect(url).toBe(`http://127.0.0.1:${port}`);
    const pids = script.lines.flatMap((line) => [...line.matchAll(/pid (\d+)/g)].map((m) => Number(m[1])));
    expect(pids).toHaveLength(4); // three instances and the balancer
    expect(script.lines.join('\n')).toMatch(/store +sqlite:.*sessions\.db/);
    expect(script.lines.join('\n')).toMatch(/routing +round-robin/);

    const shopper = new Shopper(url!, 'demo-test');
    const servedBy = new Set<string | undefined>();
    for (const answer of [
      await shopper.login(),
      await shopper.request('POST', '/api/cart/items', { sku: 'tea', qty: 2 }),
      await shopper.request('POST', '/api/cart/items', { sku: 'mug', qty: 1 }),
      await shopper.request('DELETE', '/api/cart/items/tea'),
      await shopper.request('POST', '/api/cart/items', { sku: 'pen', qty: 1 }),
    ]) {
      expect(answer.status).toBe(200);
      servedBy.add(answer.servedBy);
    }
    const cart = await shopper.request('GET', '/api/cart');
    servedBy.add(cart.servedBy);
    expect(cart.data).toEqual({
      user: 'demo-test',
      items: [
        { sku: 'mug', qty: 1 },
        { sku: 'pen', qty: 1 },
      ],
    });
    // Round-robin: the requests were spread over all three instances, and the cart followed.
    expect([...servedBy].sort()).toEqual(['shop-1', 'shop-2', 'shop-3']);

    const instances = (await (await fetch(`${url}/__demo/instances`)).json()) as {
      id: string;
      pid: number;
      healthy: boolean;
    }[];
    expect(instances.map((i) => i.id)).toEqual(['shop-1', 'shop-2', 'shop-3']);
    expect(instances.every((i) => pids.includes(i.pid) && i.healthy)).toBe(true);

    script.child.kill('SIGINT');
    expect(await script.exited).toBe(0);
    expect(script.lines.join('\n')).toContain('stopped, no process left behind');
    expect(pids.filter(alive)).toEqual([]);
  });

  it('--store cookie:// runs the shop on sealed cookies: no store, the cart in the cookie, its size in every answer', {
    timeout: 120_000,
  }, async () => {
    const port = await findFreePortRange(3);
    const script = demo(['--port', String(port), '--instances', '2', '--store', 'cookie://']);
    const [, url] = await script.waitFor(/^Open (http:\/\/127\.0\.0\.1:\d+)/);
    expect(script.lines.join('\n')).toMatch(/store +cookie:\/\/ \(no store: each session travels sealed in its cookie/);
    const shopper = new Shopper(url!, 'cookie-demo');
    await shopper.login();
    const servedBy = new Set<string | undefined>();
    const sizes: number[] = [];
    for (const sku of ['tea', 'mug', 'pen']) {
      const answer = await shopper.request('POST', '/api/cart/items', { sku, qty: 1 });
      expect(answer.status).toBe(200);
      servedBy.add(answer.servedBy);
      const match = /^strategy=cookie; bytes=(\d+); chunks=(\d+)$/.exec(answer.sessionCookie ?? '');
      expect(match, answer.sessionCookie).not.toBeNull();
      expect(Number(match![2])).toBe(1);
      sizes.push(Number(match![1]));
    }
    const cart = await shopper.request('GET', '/api/cart');
    expect(cart.data.items.map((item: { sku: string }) => item.sku)).toEqual(['tea', 'mug', 'pen']);
    // Round-robin over both instances, which share nothing but the secret.
    expect([...servedBy].sort()).toEqual(['shop-1', 'shop-2']);
    // The cookie grows with the cart, and is what the shopper sends.
    expect(sizes[2]).toBeGreaterThan(sizes[0]!);
    expect(Buffer.byteLength(shopper.cookieHeader)).toBe(sizes[2]);
    // The page has a place for it.
    expect(await (await fetch(`${url}/`)).text()).toContain('data-testid="session-cookie"');
    script.child.kill('SIGINT');
    expect(await script.exited).toBe(0);
  });

  it('leaves no instance behind when the runner itself is killed', { timeout: 120_000 }, async () => {
    const port = await findFreePortRange(3);
    const script = demo(['--port', String(port), '--instances', '2', '--store', 'memory://']);
    await script.waitFor(/^Open /);
    const text = script.lines.join('\n');
    const pidOf = (name: string) => Number(new RegExp(`${name} +http\\S+ +pid (\\d+)`).exec(text)?.[1]);
    const runner = pidOf('balancer');
    const instances = [pidOf('shop-1'), pidOf('shop-2')];
    expect([runner, ...instances].every(Number.isInteger)).toBe(true);
    // SIGKILL: no handler runs; the instances notice their IPC channel closing and exit on their own.
    process.kill(runner, 'SIGKILL');
    await script.exited;
    const deadline = Date.now() + 15_000;
    while (instances.some(alive) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
    expect(instances.filter(alive)).toEqual([]);
  });

  it('answers bad options with a clear message and exit code 2, starting nothing', { timeout: 120_000 }, async () => {
    const cases: [string[], RegExp][] = [
      [['--routing', 'random'], /--routing must be one of round-robin, sticky-cookie, ip-hash/],
      // As `pnpm demo -- --routing random` passes it: the separator is dropped, the option read.
      [['--', '--routing', 'random'], /--routing must be one of/],
      [['--instances', '0'], /--instances must be a whole number from 1 to 16/],
      [['--port', 'http'], /--port must be a whole number/],
      [['--store', 'nosuch://x'], /--store: No session store is registered for "nosuch:".*Known: .*memory:/],
      [['--store', 'sessions.db'], /--store must be a store URL/],
      [['--colour'], /Unknown option '--colour'/],
    ];
    await Promise.all(
      cases.map(async ([args, message]) => {
        const script = demo(args);
        expect(await script.exited, args.join(' ')).toBe(2);
        expect(script.lines.join('\n')).toMatch(message);
        expect(script.lines.join('\n')).not.toContain('starting');
      }),
    );
  });

  it('refuses a port that is taken, naming it', { timeout: 120_000 }, async () => {
    const port = await findFreePortRange(3);
    const first = demo(['--port', String(port + 1), '--instances', '1', '--store', 'memory://']);
    await first.waitFor(/^Open /);
    const second = demo(['--port', String(port), '--instances', '1', '--store', 'memory://']);
    expect(await second.exited).toBe(1);
    expect(second.lines.join('\n')).toMatch(new RegExp(`port ${port + 1} is not free .*--port`));
    first.child.kill('SIGTERM');
    expect(await first.exited).toBe(0);
  });
});
