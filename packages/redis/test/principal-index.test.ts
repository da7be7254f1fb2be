import assert from 'node:assert/strict';
import { eventually, redisAvailable, sleep } from '@sessionkit/test-suite';
import { Redis } from 'ioredis';
import { afterAll, describe, it } from 'vitest';
import { RedisSessionStore } from '../src/index.js';
import { REDIS_URL, runPrefix } from './support/probe.js';

const available = await redisAvailable();

/** Every key under `prefix` that is a principal set (`<prefix>\0principal\0<id>`). */
async function indexKeys(client: Redis, prefix: string): Promise<string[]> {
  const found: string[] = [];
  let cursor = '0';
  do {
    const [next, keys] = await client.scan(cursor, 'MATCH', `${prefix}\u0000principal\u0000*`, 'COUNT', 1000);
    cursor = next;
    found.push(...keys);
  } while (cursor !== '0');
  return found;
}

async function sidsOf(store: RedisSessionStore, principal: string): Promise<string[]> {
  const sids: string[] = [];
  for await (const sid of store.idsByPrincipal(principal)) sids.push(sid);
  return sids.sort();
}

describe.skipIf(!available)('the Redis principal index', () => {
  const client = new Redis(REDIS_URL, { lazyConnect: true });
  afterAll(() => client.quit());

  it('after 10,000 sessions of 1,000 users expire, no index key is left behind, and no set ever lived without a TTL', {
    timeout: 180_000,
  }, async () => {
    const prefix = runPrefix('index-expiry');
    const store = new RedisSessionStore({ client, prefix, operationTimeoutMs: 30_000 });
    try {
      // Every path that files a session: set, a login by patch, a change of user, a touch.
      const writes = Array.from({ length: 10_000 }, (_, i) => async () => {
        const sid = `expiring-${i}`;
        const user = `user-${i % 1000}`;
        const ttlMs = 3000 + (i % 7) * 150;
        if (i % 3 === 0) await store.set(sid, { userId: user, cart: [i] }, { ttlMs });
        else await store.patch(sid, { set: { passport: { user } }, unset: [] }, { ttlMs });
        if (i % 10 === 1)
          await store.patch(sid, { set: { passport: { user: `user-${(i + 1) % 1000}` } }, unset: [] }, { ttlMs });
        if (i % 10 === 2) await store.touch(sid, { ttlMs: ttlMs + 300 });
      });
      for (let i = 0; i < writes.length; i += 500) await Promise.all(writes.slice(i, i + 500).map((write) => write()));

      // At most one set per user (sets whose sessions all expired already, on a slow machine, are gone).
      const sets = await indexKeys(client, prefix);
      assert.ok(sets.length > 0 && sets.length <= 1000, `${sets.length} sets for 1,000 users`);
      const ttls = await Promise.all(sets.map((key) => client.pttl(key)));
      assert.deepEqual(
        ttls.filter((ttl) => ttl < 0),
        [],
        'a set without a TTL would live forever',
      );
      assert.ok(
        Math.max(...ttls) <= 3000 + 6 * 150 + 300,
        `a set outlives its longest session: ${Math.max(...ttls)} ms`,
      );

      await sleep(4500);
      // Redis drops expired keys in its background cycle; wait for it, bounded (only catches a hang).
      const gone = await eventually(async () => (await indexKeys(client, prefix)).length === 0, 60_000, 250);
      assert.ok(gone, `${(await indexKeys(client, prefix)).length} index keys left behind`);
      assert.equal(await store.length(), 0);
    } finally {
      await store.clear();
      await store.close();
    }
  });

  it('reading a set drops members whose session expired or moved to another user; the set keeps its live members', async () => {
    const prefix = runPrefix('index-lazy');
    const store = new RedisSessionStore({ client, prefix });
    const set = `${prefix}\u0000principal\u0000ann`;
    try {
      await store.set('long', { userId: 'ann' }, { ttlMs: 60_000 });
      await store.set('short', { userId: 'ann' }, { ttlMs: 300 });
      await store.set('moved', { userId: 'ann' }, { ttlMs: 60_000 });
      // a member left behind as a process that died between two commands would leave it
      await client.hset(`${prefix}moved`, '', '=bob');
      await sleep(600);
      assert.deepEqual((await client.smembers(set)).sort(), ['long', 'moved', 'short']);
      assert.deepEqual(await sidsOf(store, 'ann'), ['long']);
      assert.deepEqual(await client.smembers(set), ['long']);
      assert.ok((await client.pttl(set)) > 30_000);
      await store.destroy('long');
      assert.equal(await client.exists(set), 0, 'the last member gone takes the set with it');
    } finally {
      await store.clear();
      await store.close();
    }
  });

  it('clear() removes the sets with the sessions; a session written before the index is filed by its next login', async () => {
    const prefix = runPrefix('index-clear');
    const store = new RedisSessionStore({ client, prefix });
    try {
      await store.set('a', { userId: 'cy' }, { ttlMs: 60_000 });
      // as an earlier release wrote it: the marker holds '1'
      await client.hset(`${prefix}old`, '', '1', 'userId', '"cy"');
      await client.pexpire(`${prefix}old`, 60_000);
      assert.deepEqual(await sidsOf(store, 'cy'), ['a']);
      await store.patch('old', { set: { userId: 'cy' }, unset: [] }, { ttlMs: 60_000 });
      assert.deepEqual(await sidsOf(store, 'cy'), ['a', 'old']);
      await store.clear();
      assert.deepEqual(await indexKeys(client, prefix), []);
      assert.deepEqual(await sidsOf(store, 'cy'), []);
    } finally {
      await store.close();
    }
  });
});
