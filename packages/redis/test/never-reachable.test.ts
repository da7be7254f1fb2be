import { connect, createServer, type Server, type Socket } from 'node:net';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { engineAvailable, eventually } from '@sessionkit/test-suite';
import { Redis } from 'ioredis';
import { createClient } from 'redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisSessionStore } from '../src/index.js';
import { withClient } from './support/clients.js';
import { RedisServer, redisServerBinary } from './support/servers.js';

const available = await engineAvailable(
  'redis-server binary',
  redisServerBinary,
  'install Redis (apt-get install redis-server)',
);

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

/** Collects garbage until the WeakRefs' targets had a chance to go (targets live until the current job ends). */
async function collect(): Promise<void> {
  for (let i = 0; i < 3; i++) {
    gc();
    await new Promise((resolve) => setImmediate(resolve));
  }
}

const ROUNDS = 4;
const CALLS = 1500;

/**
 * A port this test holds from start to end (so no other test's server can take it meanwhile):
 * while shut, every connection is dropped as soon as it is accepted, so a client never gets a
 * Redis handshake; once opened, connections are piped to a real redis-server.
 */
class Gate {
  port = 0;
  open = false;
  readonly #sockets = new Set<Socket>();
  #server: Server | undefined;

  constructor(readonly targetPort: number) {}

  async listen(): Promise<void> {
    const server = createServer((client) => {
      if (!this.open) {
        client.destroy();
        return;
      }
      const upstream = connect(this.targetPort, '127.0.0.1');
      for (const [a, b] of [
        [client, upstream],
        [upstream, client],
      ] as const) {
        this.#sockets.add(a);
        a.pipe(b);
        a.on('error', () => b.destroy());
        a.on('close', () => {
          this.#sockets.delete(a);
          b.destroy();
        });
      }
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    this.port = (server.address() as { port: number }).port;
    this.#server = server;
  }

  shut(): void {
    this.open = false;
    for (const socket of this.#sockets) socket.destroy();
  }

  async close(): Promise<void> {
    this.shut();
    await new Promise<void>((resolve) => this.#server?.close(() => resolve()) ?? resolve());
  }
}

describe.skipIf(!available)('Redis never reachable since the store was created', () => {
  let server: RedisServer;
  let gate: Gate;
  beforeAll(async () => {
    server = await RedisServer.start();
    gate = new Gate(server.port);
    await gate.listen();
  });
  afterAll(async () => {
    await gate?.close();
    await server?.destroy();
  });

  const clients: (() => void)[] = [];
  afterAll(() => {
    for (const close of clients) close();
  });

  it.each([
    [
      'ioredis: a store from a URL (lazyConnect, offline queue off)',
      (port: number) => RedisSessionStore.fromUrl(`redis://127.0.0.1:${port}`, { operationTimeoutMs: 300 }),
    ],
    [
      'node-redis: a store from a URL (offline queue off)',
      (port: number) =>
        RedisSessionStore.fromUrl(withClient(`redis://127.0.0.1:${port}`, 'node-redis'), { operationTimeoutMs: 300 }),
    ],
    [
      'ioredis: a store on a client handed in with ioredis defaults',
      (port: number) => {
        const client = new Redis(port, '127.0.0.1', { retryStrategy: () => 100 });
        client.on('error', () => {});
        clients.push(() => client.disconnect());
        return new RedisSessionStore({ client, operationTimeoutMs: 300 });
      },
    ],
    [
      'node-redis: a store on a client handed in with node-redis defaults, its connect() still pending',
      (port: number) => {
        const client = createClient({ socket: { host: '127.0.0.1', port, reconnectStrategy: () => 100 } });
        client.on('error', () => {});
        client.connect().catch(() => {});
        clients.push(() => client.isOpen && client.destroy());
        return new RedisSessionStore({ client, operationTimeoutMs: 300 });
      },
    ],
  ])(
    '%s: 6,000 calls settle with StoreUnavailableError, none is kept once settled, and the store works once Redis is up',
    async (_, create) => {
      gate.shut();
      const store = create(gate.port);
      const events: string[] = [];
      store.on('connect', () => events.push('connect'));
      store.on('disconnect', () => events.push('disconnect'));
      try {
        const kept: WeakRef<object>[] = [];
        // One round in a frame of its own, so that no local of the test keeps an argument alive.
        const round = async (n: number) => {
          const calls: Promise<unknown>[] = [];
          for (let i = 0; i < CALLS; i++) {
            if (i % 2) {
              calls.push(store.get(`never-${n}-${i}`));
              continue;
            }
            const data = { n, i, blob: 'x'.repeat(200) };
            kept.push(new WeakRef(data));
            calls.push(store.set(`never-${n}-${i}`, data, { ttlMs: 60_000 }));
          }
          expect(store.waitingForConnection).toBeLessThanOrEqual(CALLS);
          const codes = (await Promise.allSettled(calls)).map((r) =>
            r.status === 'rejected' ? (r.reason as { code?: string }).code : 'resolved',
          );
          expect(new Set(codes)).toEqual(new Set(['ERR_STORE_UNAVAILABLE']));
        };
        for (let n = 0; n < ROUNDS; n++) {
          await round(n);
          // the figure does not grow with the number of calls: nothing waits once they settled
          expect(store.waitingForConnection).toBe(0);
        }
        // no call's data is held by the store after it settled (before: every call waited forever
        // for the first `ready`, keeping its arguments: 140,000 gets held 298 MiB)
        await collect();
        const alive = kept.filter((ref) => ref.deref() !== undefined).length;
        expect(alive, `${alive} of ${kept.length} call arguments still reachable`).toBe(0);

        // a link that was never up has not gone down: no `disconnect` before the first `connect`
        expect(events).toEqual([]);

        // once Redis is there, the same store works without a restart
        gate.open = true;
        const connected = await eventually(async () => {
          await store.set('never-then-ok', { ok: true }, { ttlMs: 60_000 });
          return true;
        }, 20_000);
        expect(connected).toBe(true);
        expect(await store.get('never-then-ok')).toEqual({ ok: true });
        expect(store.waitingForConnection).toBe(0);
        await store.destroy('never-then-ok');
      } finally {
        await store.close();
        gate.shut();
      }
    },
    60_000,
  );
});
