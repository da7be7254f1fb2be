import assert from 'node:assert/strict';
import { engineAvailable, eventually, runConformanceSuite, sleep, type GroupName } from '@sessionkit/test-suite';
import { Redis } from 'ioredis';
import { createClient } from 'redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AnyRedisClient } from '../src/client.js';
import { RedisSessionStore } from '../src/index.js';
import { CLIENT_KINDS, withClient } from './support/clients.js';
import { runPrefix } from './support/probe.js';
import { RedisServer, redisServerBinary } from './support/servers.js';

const available = await engineAvailable(
  'redis-server binary',
  redisServerBinary,
  'install Redis (apt-get install redis-server)',
);

const ONLY_OUTAGE = Object.fromEntries(
  (['basic', 'expiry', 'touch', 'patch', 'concurrency', 'destroy', 'ids', 'bad-input', 'values'] as GroupName[]).map(
    (g) => [g, 'runs in conformance.test.ts'],
  ),
);

/**
 * A client of `kind` with its library's defaults (offline queue on, reconnect forever), as an app
 * hands it in. The node-redis one is connected without waiting: the server may be down right now,
 * and the store waits for its owner's connection (bounded by operationTimeoutMs).
 */
function userClient(kind: (typeof CLIENT_KINDS)[number], port: number): { client: AnyRedisClient; close(): void } {
  if (kind === 'ioredis') {
    const client = new Redis(port, '127.0.0.1');
    client.on('error', () => {}); // the test's own listener; the store's goes with close()
    return { client, close: () => client.disconnect() };
  }
  const client = createClient({ socket: { host: '127.0.0.1', port } });
  client.on('error', () => {});
  client.connect().catch(() => {});
  return { client, close: () => (client.isOpen ? client.destroy() : undefined) };
}

describe.skipIf(!available).each(CLIENT_KINDS)(
  'a test-owned redis-server is killed and restarted (%s client)',
  (kind) => {
    let server: RedisServer;
    const userClients: { close(): void }[] = [];
    beforeAll(async () => {
      // Persisted with fsync on every write, so sessions written before the kill are there after the restart.
      server = await RedisServer.start(['--appendonly', 'yes', '--appendfsync', 'always']);
    });
    afterAll(async () => {
      for (const client of userClients) client.close();
      await server?.destroy();
    });
    const backend = { stop: () => server.stop(), start: () => server.start() };

    describe('store created from a URL (its own fail-fast client)', () => {
      runConformanceSuite({
        it,
        createStore: (options) =>
          RedisSessionStore.fromUrl(withClient(server.url, kind), { ...options, prefix: runPrefix('outage') }),
        backend,
        skip: ONLY_OUTAGE,
      });
    });

    describe(`store on a client handed in with ${kind} defaults (offline queue on)`, () => {
      runConformanceSuite({
        it,
        createStore: (options) => {
          const user = userClient(kind, server.port);
          userClients.push(user);
          return new RedisSessionStore({ ...options, client: user.client, prefix: runPrefix('outage-user') });
        },
        backend,
        skip: ONLY_OUTAGE,
      });
    });

    it('under traffic: every call settles in time with StoreUnavailableError or success, nothing unhandled, recovery without restart', async () => {
      const unhandled: unknown[] = [];
      const onUnhandled = (reason: unknown) => unhandled.push(reason);
      process.on('unhandledRejection', onUnhandled);
      const store = RedisSessionStore.fromUrl(withClient(server.url, kind), {
        operationTimeoutMs: 400,
        prefix: runPrefix('traffic'),
      });
      try {
        const outcomes = { ok: 0, unavailable: 0 };
        let slowest = 0;
        let running = true;
        const worker = async (n: number) => {
          for (let i = 0; running; i++) {
            const sid = `traffic-${n}-${i % 20}-abcdef`;
            const started = Date.now();
            try {
              await store.patch(sid, { set: { i }, unset: [] }, { ttlMs: 60_000 });
              await store.get(sid);
              outcomes.ok++;
            } catch (err) {
              assert.equal((err as { code?: string }).code, 'ERR_STORE_UNAVAILABLE', String(err));
              outcomes.unavailable++;
              await sleep(20);
            }
            slowest = Math.max(slowest, Date.now() - started);
          }
        };
        const workers = Promise.all([1, 2, 3, 4].map(worker));
        await eventually(async () => outcomes.ok > 20, 10_000);
        await server.stop();
        await eventually(async () => outcomes.unavailable > 20, 10_000);
        const failedDuringOutage = outcomes.unavailable;
        await server.start();
        const okBefore = outcomes.ok;
        assert.ok(await eventually(async () => outcomes.ok > okBefore + 20, 20_000), 'traffic did not recover');
        running = false;
        await workers;
        expect(failedDuringOutage).toBeGreaterThan(0);
        // two calls per loop, each bounded by operationTimeoutMs 400
        expect(slowest).toBeLessThan(2 * 400 + 10_000); // only a hang fails it on a busy machine
        expect(unhandled).toEqual([]);
      } finally {
        process.off('unhandledRejection', onUnhandled);
        await store.close();
      }
    }, 60_000);
  },
);
