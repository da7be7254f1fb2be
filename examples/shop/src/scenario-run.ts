import { loadavg } from 'node:os';
import { startOnFreePorts } from './deployment.js';
import type { Scenario } from './scenario-rows.js';
import { forEachLimited, Shopper, type RequestRecord } from './shopper.js';

export interface RunSettings {
  /** Simulated shoppers per phase. */
  shoppers: number;
  /** Shop instances behind the balancer. */
  instances: number;
  /** Shoppers active at the same time. */
  concurrency: number;
  /** Sessions of one user that "Log out all my devices" ends, on rows that measure it (default 1000). */
  logoutSessions?: number;
  /** Progress lines. */
  log: (line: string) => void;
}

/** The measured outcome of one scenario (or why it did not run). */
export interface ScenarioResult {
  key: string;
  strategy: string;
  store: string;
  routing: string;
  shared: boolean;
  keepsEveryCart: boolean;
  status: 'ok' | 'skipped' | 'failed';
  /** Why the row was skipped or failed. */
  reason?: string;
  shoppers?: number;
  /** Shoppers whose cart held every item they added, out of `shoppers`. */
  cartsIntact?: number;
  /** The same for the second group, during which one instance was killed. */
  cartsIntactAfterKill?: number;
  /** Shoppers of the concurrency group whose cart kept both products they added at the same time (two requests in flight at once). */
  concurrentAddsKept?: number;
  /** Shoppers whose two concurrent adds came back with an item missing (unreadable reads are not counted). */
  concurrentAddsMissing?: number;
  /** Mean bytes of the Cookie header per request of the first group (session cookie, and the balancer's where it sets one). */
  cookieBytesPerRequest?: number;
  /** Carts not counted as intact because no instance answered the final read (group 1, group 2), not because items were missing. */
  cartsUnreadable?: [number, number];
  /** Times the balancer marked an instance down before the kill (health checks failing on a busy machine): it re-pins sticky clients. */
  downsBeforeKill?: number;
  /** The same, during the first group only: with none, routing held for the whole group (pins, hashing, spread). */
  downsInFirstGroup?: number;
  /** What was killed in the second group: the instance that had served it most (or the row's own target, such as the Redis master). */
  killed?: string;
  /** Requests of the first group answered by each instance. */
  requestsPerInstance?: Record<string, number>;
  /** Latency of the first group's requests through the balancer, ms (retries included). */
  p50Ms?: number;
  p99Ms?: number;
  /** "Log out all my devices" for one user logged in `sessions` times (rows with `logoutEverywhere`). */
  logoutEverywhere?: LogoutEverywhereResult;
  /** The machine's 1-minute load average when the row finished: latency figures mean little on a busy machine. */
  loadAverage?: number;
}

/** What one "Log out all my devices" request did to a user with many sessions. */
export interface LogoutEverywhereResult {
  /** Sessions of the user logged in (through the balancer, each its own device) before the request. */
  sessions: number;
  /** How many sessions the request said it ended. */
  ended: number;
  /** Wall time of the one POST /api/logout-everywhere through the balancer, ms. */
  ms: number;
  /** Devices whose next request (to the instance the balancer picks) was still logged in. */
  stillLoggedIn: number;
}

const ITEMS_BEFORE_KILL = 2;
const DEFAULT_LOGOUT_SESSIONS = 1000;

/**
 * Runs one scenario on real processes: a balancer and `instances` shop processes over the row's
 * store. Group 1: every shopper logs in, adds three items and reads the cart back. Concurrency
 * group: every shopper logs in, adds two items with both requests in flight at once (two tabs),
 * and reads the cart back. Group 2: the same as group 1, but after every shopper has added two
 * items the busiest instance (or what the row names, such as the Redis master) is killed with
 * SIGKILL, then each adds a third item and reads the cart back.
 */
export async function runScenario(scenario: Scenario, settings: RunSettings): Promise<ScenarioResult> {
  const { key, strategy, store, routing, shared, keepsEveryCart } = scenario;
  const base: ScenarioResult = { key, strategy, store, routing, shared, keepsEveryCart, status: 'ok' };
  let prepared;
  try {
    prepared = await scenario.prepare();
  } catch (err) {
    return { ...base, status: 'skipped', reason: (err as Error).message };
  }
  try {
    const deployment = await startOnFreePorts({
      ...(prepared.url ? { storeUrl: prepared.url } : {}),
      routing,
      instances: settings.instances,
    });
    try {
      const group1: RequestRecord[] = [];
      const shoppers1 = makeShoppers(deployment.url, 'alice', settings.shoppers, group1);
      const outcomes1 = tally();
      let downsBeforeKill = 0;
      const countDown = () => downsBeforeKill++;
      deployment.balancer.on('down', countDown);
      await forEachLimited(shoppers1, settings.concurrency, async (shopper) => {
        await shopper.login();
        for (let i = 0; i < ITEMS_BEFORE_KILL + 1; i++) await shopper.addRandomItem();
        outcomes1[await shopper.checkCart()]++;
      });
      const downsInFirstGroup = downsBeforeKill;

      const concurrent = makeShoppers(deployment.url, 'carol', settings.shoppers, []);
      const outcomesConcurrent = tally();
      await forEachLimited(concurrent, settings.concurrency, async (shopper) => {
        await shopper.login();
        await shopper.addTwoConcurrently();
        outcomesConcurrent[await shopper.checkCart()]++;
      });

      const logoutEverywhere = scenario.logoutEverywhere
        ? await measureLogoutEverywhere(
            deployment.url,
            settings.logoutSessions ?? DEFAULT_LOGOUT_SESSIONS,
            settings.concurrency,
          )
        : undefined;
      if (logoutEverywhere) {
        const { sessions, ended, ms, stillLoggedIn } = logoutEverywhere;
        settings.log(
          `  ${key}: log out everywhere ended ${ended}/${sessions} sessions in ${Math.round(ms)} ms; ${stillLoggedIn} still logged in`,
        );
      }

      const group2: RequestRecord[] = [];
      const shoppers2 = makeShoppers(deployment.url, 'bob', settings.shoppers, group2);
      await forEachLimited(shoppers2, settings.concurrency, async (shopper) => {
        await shopper.login();
        for (let i = 0; i < ITEMS_BEFORE_KILL; i++) await shopper.addRandomItem();
      });
      deployment.balancer.off('down', countDown);
      let killed: string;
      if (prepared.kill) {
        killed = await prepared.kill();
      } else {
        killed = busiest(group2) ?? deployment.instances[0]!.id;
        await deployment.instances.find((instance) => instance.id === killed)!.kill();
      }
      const outcomes2 = tally();
      await forEachLimited(shoppers2, settings.concurrency, async (shopper) => {
        await shopper.addRandomItem();
        outcomes2[await shopper.checkCart()]++;
      });

      const latencies = group1.map((r) => r.ms).sort((a, b) => a - b);
      const result: ScenarioResult = {
        ...base,
        shoppers: settings.shoppers,
        cartsIntact: outcomes1.intact,
        cartsIntactAfterKill: outcomes2.intact,
        concurrentAddsKept: outcomesConcurrent.intact,
        concurrentAddsMissing: outcomesConcurrent.missing,
        cookieBytesPerRequest: round(group1.reduce((sum, r) => sum + r.cookieBytes, 0) / Math.max(1, group1.length)),
        cartsUnreadable: [outcomes1.unreadable, outcomes2.unreadable],
        downsBeforeKill,
        downsInFirstGroup,
        killed,
        requestsPerInstance: servedCounts(
          group1,
          deployment.instances.map((i) => i.id),
        ),
        p50Ms: round(percentile(latencies, 50)),
        p99Ms: round(percentile(latencies, 99)),
        ...(logoutEverywhere ? { logoutEverywhere } : {}),
        loadAverage: round(loadavg()[0]!),
      };
      settings.log(
        `  ${key}: ${outcomes1.intact}/${settings.shoppers} intact, ${outcomesConcurrent.intact}/${settings.shoppers} kept both concurrent adds, ${outcomes2.intact}/${settings.shoppers} after killing ${killed}`,
      );
      return result;
    } finally {
      await deployment.stop();
    }
  } catch (err) {
    return { ...base, status: 'failed', reason: (err as Error).message };
  } finally {
    await prepared.cleanup().catch((err: Error) => settings.log(`  ${key}: cleanup failed: ${err.message}`));
  }
}

/**
 * One user logs in on `sessions` devices through the balancer (`concurrency` at a time), then one
 * device asks to log out everywhere; the request's time and answer are recorded, and every other
 * device's next request tells whether it is still logged in.
 */
async function measureLogoutEverywhere(
  url: string,
  sessions: number,
  concurrency: number,
): Promise<LogoutEverywhereResult> {
  const user = `many-devices-${process.pid}-${Date.now()}`;
  const devices = Array.from({ length: sessions }, () => new Shopper(url, user));
  await forEachLimited(devices, concurrency, async (device) => {
    const { status } = await device.login();
    if (status !== 200) throw new Error(`a login for the log-out-everywhere phase answered ${status}`);
  });
  const started = performance.now();
  const answer = await devices[0]!.request('POST', '/api/logout-everywhere');
  const ms = performance.now() - started;
  if (answer.status !== 200)
    throw new Error(`POST /api/logout-everywhere answered ${answer.status}: ${JSON.stringify(answer.data)}`);
  let stillLoggedIn = 0;
  await forEachLimited(devices.slice(1), concurrency, async (device) => {
    const { data } = await device.request('GET', '/api/cart');
    if (data?.user === user) stillLoggedIn++;
  });
  return { sessions, ended: Number(answer.data?.devices ?? 0), ms: round(ms), stillLoggedIn };
}

function tally(): Record<'intact' | 'missing' | 'unreadable', number> {
  return { intact: 0, missing: 0, unreadable: 0 };
}

function makeShoppers(url: string, prefix: string, count: number, records: RequestRecord[]): Shopper[] {
  return Array.from({ length: count }, (_, i) => new Shopper(url, `${prefix}-${i + 1}`, (r) => records.push(r)));
}

function servedCounts(records: RequestRecord[], ids: string[]): Record<string, number> {
  const counts: Record<string, number> = Object.fromEntries(ids.map((id) => [id, 0]));
  for (const { servedBy } of records) if (servedBy !== undefined) counts[servedBy] = (counts[servedBy] ?? 0) + 1;
  return counts;
}

function busiest(records: RequestRecord[]): string | undefined {
  const counts = Object.entries(servedCounts(records, []));
  counts.sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
  return counts[0]?.[0];
}

/** Nearest-rank percentile of sorted values. */
function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

function round(ms: number): number {
  return Math.round(ms * 10) / 10;
}
