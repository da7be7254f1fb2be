import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { Report } from '../src/report.js';
import type { ScenarioResult } from '../src/scenario-run.js';
import { runScript, stopScripts } from './support/scripts.js';

const dir = mkdtempSync(join(tmpdir(), 'shop-scenarios-'));
afterEach(stopScripts);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Carts with an accepted item missing (not counting reads that no instance answered), per group. */
function missing(result: ScenarioResult): [number, number] {
  const [unreadable1 = 0, unreadable2 = 0] = result.cartsUnreadable ?? [];
  return [
    result.shoppers! - result.cartsIntact! - unreadable1,
    result.shoppers! - result.cartsIntactAfterKill! - unreadable2,
  ];
}

// Each row is held to what its configuration guarantees, and to nothing that needs a lucky
// schedule. Routing promises (pins, hashing, spread) hold only while the balancer keeps every
// instance up: a busy machine can fail health checks (downs*), and then those are not asserted.
// Figures no configuration promises (asynchronous replication, Sentinel failover) are reported in
// the table, not asserted.
describe('pnpm demo:scenarios --quick', () => {
  it('loses carts with per-instance memory and round-robin, keeps every cart where the design promises it', {
    // 2 min on 2 busy cores, 5 min with more work beside them: the bound only catches a hang.
    timeout: 1_200_000,
  }, async () => {
    const json = join(dir, 'results.json');
    const script = runScript('examples/shop/src/scenarios.ts', ['--quick', '--logout-sessions', '200', '--json', json]);
    expect(await script.exited, script.lines.join('\n')).toBe(0);
    const report = JSON.parse(readFileSync(json, 'utf8')) as Report;
    const row = (key: string) => report.results.find((r) => r.key === key)!;
    expect(report.mode).toBe('quick');
    for (const result of report.results) {
      if (result.status !== 'skipped') expect(result.status, `${result.key}: ${result.reason}`).toBe('ok');
    }

    // The seeds' problem: the cart is scattered over the instances' memories. A cart survives only
    // when all five requests of its shopper meet one instance, about 1 in 81 under round-robin;
    // all 40 surviving has a probability near 1e-76, unless the balancer took instances out.
    const memory = row('memory-round-robin');
    if (memory.downsInFirstGroup === 0) expect(memory.cartsIntact!).toBeLessThan(memory.shoppers!);
    // Sticky cookie keeps every cart while its instance lives and stays pinned...
    const sticky = row('memory-sticky-cookie');
    if (sticky.downsInFirstGroup === 0) expect(missing(sticky)[0], JSON.stringify(sticky)).toBe(0);
    // ...and loses those pinned to the killed instance (the busiest, so at least one shopper's).
    if (sticky.downsBeforeKill === 0) expect(missing(sticky)[1]).toBeGreaterThan(0);
    // ip-hash with every shopper behind one address: one instance takes all the load.
    const ipHash = row('memory-ip-hash');
    if (ipHash.downsInFirstGroup === 0)
      expect(Object.values(ipHash.requestsPerInstance!).filter((n) => n > 0)).toHaveLength(1);

    // Asynchronous replication (round-robin, or sticky with ack=none), and the Redis master killed
    // under asynchronous replica sync: measured windows, reported in the table. They must run.
    for (const key of ['cluster-round-robin', 'cluster-sticky-cookie-ack-none']) expect(row(key).status).toBe('ok');
    expect(row('redis-sentinel-failover').status).not.toBe('failed');

    // Client-side storage: no store, every cart survives a crash, but two requests in flight at
    // once carry the same cookie and the last Set-Cookie wins: one of the two adds is lost.
    const cookie = row('cookie-round-robin');
    expect(cookie.status).toBe('ok');
    expect(cookie.concurrentAddsMissing!).toBeGreaterThan(0);
    // The whole session travels in the Cookie header: far more bytes than a session id.
    expect(cookie.cookieBytesPerRequest!).toBeGreaterThan(2 * row('sqlite-round-robin').cookieBytesPerRequest!);

    const shared = report.results.filter((r) => r.keepsEveryCart);
    expect(shared.map((r) => r.key)).toEqual(
      expect.arrayContaining([
        'sqlite-round-robin',
        'postgres-round-robin',
        'mariadb-round-robin',
        'redis-round-robin',
        'redis-near-cache-round-robin',
        'cluster-sticky-cookie',
        'cookie-round-robin',
      ]),
    );
    for (const result of shared) {
      if (result.status === 'skipped') {
        // An engine that is not installed here: the runner says which and why; CI has them all.
        expect(process.env['CI'], `${result.key} skipped under CI: ${result.reason}`).not.toBe('true');
        console.warn(`[sessionkit] ${result.key} skipped: ${result.reason}`);
        continue;
      }
      // Every accepted item is there, before and after the kill; a read no instance answered
      // within the shopper's retries is not a lost cart, and is reported apart.
      const context = `${result.key}: ${JSON.stringify({ unreadable: result.cartsUnreadable, downsBeforeKill: result.downsBeforeKill })}`;
      expect(missing(result), context).toEqual([0, 0]);
      expect(result.cartsIntact! + result.cartsIntactAfterKill!, context).toBeGreaterThan(0);
      // Every instance takes a share of the load while all stay up.
      if (result.downsInFirstGroup === 0)
        expect(
          Object.values(result.requestsPerInstance!).every((n) => n > 0),
          result.key,
        ).toBe(true);
      // A shared store writes only the keys a request changed: two concurrent adds of different products both stay.
      if (result.key !== 'cookie-round-robin') expect(result.concurrentAddsMissing, context).toBe(0);
    }

    // "Log out all my devices" on the shared server stores: one request ends all 200 sessions of
    // the user. With a central store every device's next request is logged out; the replicated
    // store (ack=one) answers once one peer has the tombstones, so a device pinned to a third node
    // can be served in the replication window: reported, not asserted.
    const measured = report.results.filter((r) => r.status === 'ok' && r.logoutEverywhere);
    expect(measured.map((r) => r.key)).toEqual(expect.arrayContaining(['sqlite-round-robin', 'cluster-sticky-cookie']));
    for (const result of measured) {
      expect(result.logoutEverywhere!.ended, result.key).toBe(200);
      if (!result.key.startsWith('cluster')) expect(result.logoutEverywhere!.stillLoggedIn, result.key).toBe(0);
    }
    expect(script.lines.join('\n')).toMatch(/Strategy +Store +Routing +Carts intact/);
  });

  it('answers bad options with a clear message and exit code 2', { timeout: 60_000 }, async () => {
    const cases: [string[], RegExp][] = [
      [['--only', 'memory,nosuch'], /--only: unknown scenario memory, nosuch/],
      [['--shoppers', '0'], /--shoppers must be a whole number from 1 to 10000/],
      [['--logout-sessions', 'many'], /--logout-sessions must be a whole number from 1 to 100000/],
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
