import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { Report } from '../src/report.js';
import { runScript, stopScripts } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'shop-scenarios-'));
afterEach(stopScripts);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('pnpm demo:scenarios --quick', () => {
  it('loses carts with per-instance memory and round-robin, keeps every cart where the design promises it', { timeout: 300_000 }, async () => {
    const json = join(dir, 'results.json');
    const script = runScript('examples/shop/src/scenarios.ts', ['--quick', '--json', json]);
    expect(await script.exited, script.lines.join('\n')).toBe(0);
    const report = JSON.parse(readFileSync(json, 'utf8')) as Report;
    const row = (key: string) => report.results.find((r) => r.key === key)!;
    expect(report.mode).toBe('quick');

    // The seeds' problem: the cart is scattered over the instances' memories.
    const memory = row('memory-round-robin');
    expect(memory.status).toBe('ok');
    expect(memory.cartsIntact!).toBeLessThan(memory.shoppers!);
    expect(memory.cartsIntactAfterKill!).toBeLessThan(memory.shoppers!);
    // Sticky cookie keeps carts until their instance dies.
    const sticky = row('memory-sticky-cookie');
    expect(sticky.cartsIntact).toBe(sticky.shoppers);
    expect(sticky.cartsIntactAfterKill!).toBeLessThan(sticky.shoppers!);
    // ip-hash with every shopper behind one address: one instance takes all the load.
    const ipHash = row('memory-ip-hash');
    expect(Object.values(ipHash.requestsPerInstance!).filter((n) => n > 0)).toHaveLength(1);

    // Asynchronous replication under round-robin may lose a cart while a change is in flight; the row
    // reports how many. It must run, and spread the load.
    expect(row('cluster-round-robin').status).toBe('ok');
    // The Redis master is killed instead of an instance: Sentinel promotes the replica and the
    // store follows. It runs wherever the redis-server binary is installed.
    expect(row('redis-sentinel-failover').status).not.toBe('failed');

    // Client-side storage: no store, every cart survives a crash, but two requests in flight at
    // once carry the same cookie and the last Set-Cookie wins: one of the two adds is lost.
    const cookie = row('cookie-round-robin');
    expect(cookie.status).toBe('ok');
    expect(cookie.concurrentAddsKept!).toBeLessThan(cookie.shoppers!);
    // The whole session travels in the Cookie header: far more bytes than a session id.
    expect(cookie.cookieBytesPerRequest!).toBeGreaterThan(2 * row('sqlite-round-robin').cookieBytesPerRequest!);

    const shared = report.results.filter((r) => r.keepsEveryCart);
    expect(shared.map((r) => r.key)).toEqual(
      expect.arrayContaining(['sqlite-round-robin', 'postgres-round-robin', 'mariadb-round-robin', 'redis-round-robin', 'cluster-sticky-cookie', 'cookie-round-robin']),
    );
    for (const result of shared) {
      if (result.status === 'skipped') {
        // An engine that is not installed here: the runner says which and why; CI has them all.
        expect(process.env['CI'], `${result.key} skipped under CI: ${result.reason}`).not.toBe('true');
        console.warn(`[sessionkit] ${result.key} skipped: ${result.reason}`);
        continue;
      }
      expect(result.status, `${result.key}: ${result.reason}`).toBe('ok');
      const context = `${result.key}: ${JSON.stringify({ unreadable: result.cartsUnreadable, downsBeforeKill: result.downsBeforeKill })}`;
      expect(result.cartsIntact, context).toBe(result.shoppers);
      expect(result.cartsIntactAfterKill, context).toBe(result.shoppers);
      // Every instance takes a share of the load.
      expect(Object.values(result.requestsPerInstance!).every((n) => n > 0), result.key).toBe(true);
      // A shared store writes only the keys a request changed: two concurrent adds of different products both stay.
      if (result.key !== 'cookie-round-robin') expect(result.concurrentAddsKept, context).toBe(result.shoppers);
    }
    expect(script.lines.join('\n')).toMatch(/Strategy +Store +Routing +Carts intact/);
  });

  it('answers bad options with a clear message and exit code 2', { timeout: 60_000 }, async () => {
    const cases: [string[], RegExp][] = [
      [['--only', 'memory,nosuch'], /--only: unknown scenario memory, nosuch/],
      [['--shoppers', '0'], /--shoppers must be a whole number from 1 to 10000/],
      [['--quick', 'extra'], /Unexpected argument 'extra'/],
    ];
    await Promise.all(
      cases.map(async ([args, message]) => {
        const script = runScript('examples/shop/src/scenarios.ts', args);
        expect(await script.exited, args.join(' ')).toBe(2);
        expect(script.lines.join('\n')).toMatch(message);
      }),
    );
  });
});
