import { engineAvailable, eventually, rejection } from '@sessionkit/test-suite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisSessionStore } from '../src/index.js';
import { RedisServer, redisServerBinary } from './support/servers.js';

const available = await engineAvailable('redis-server binary', redisServerBinary, 'install Redis (apt-get install redis-server)');
const TTL = { ttlMs: 60_000 };

/** How each kind of Redis error reaches the caller, on a test-owned server (these tests block or fill it). */
describe.skipIf(!available)('Redis errors by kind: only an unusable server is "unavailable", and no error is a disconnect', () => {
  let server: RedisServer;
  beforeAll(async () => {
    server = await RedisServer.start();
  });
  afterAll(() => server?.destroy());

  it('OOM (maxmemory reached): writes fail with StoreOperationError, reads go on, no disconnect', async () => {
    const store = RedisSessionStore.fromUrl(server.url, { prefix: 'oom:' });
    const admin = server.client();
    const events: string[] = [];
    store.on('disconnect', () => events.push('disconnect'));
    try {
      await store.set('before-oom', { ok: true }, TTL);
      await admin.config('SET', 'maxmemory', '1');
      await admin.config('SET', 'maxmemory-policy', 'noeviction');
      const err = await rejection(store.patch('before-oom', { set: { more: 'x'.repeat(1000) }, unset: [] }, TTL));
      expect(err).toMatchObject({ code: 'ERR_STORE_OPERATION' });
      expect(err.message).toMatch(/OOM/);
      expect(await store.get('before-oom')).toEqual({ ok: true });
      expect(events).toEqual([]);
    } finally {
      await admin.config('SET', 'maxmemory', '0');
      admin.disconnect();
      await store.close();
    }
  });

  it('BUSY (another client runs a long script): StoreUnavailableError while it runs, no disconnect, fine after', async () => {
    const store = RedisSessionStore.fromUrl(server.url, { prefix: 'busy:', operationTimeoutMs: 5000 });
    const admin = server.client();
    const blocker = server.client();
    const events: string[] = [];
    store.on('disconnect', () => events.push('disconnect'));
    try {
      await store.set('busy-session', { ok: true }, TTL);
      await admin.config('SET', 'busy-reply-threshold', '50');
      const blocking = blocker.eval('while true do end', 0).catch((err: Error) => err);
      const busy = await eventually(async () => (await rejection(store.get('busy-session'))).code === 'ERR_STORE_UNAVAILABLE', 10_000, 20);
      expect(busy).toBe(true);
      expect((await rejection(store.get('busy-session'))).message).toMatch(/BUSY/);
      await admin.call('SCRIPT', 'KILL');
      await blocking;
      expect(await store.get('busy-session')).toEqual({ ok: true });
      expect(events).toEqual([]);
    } finally {
      await admin.call('SCRIPT', 'KILL').catch(() => {});
      admin.disconnect();
      blocker.disconnect();
      await store.close();
    }
  });
});
