import { redisAvailable, rejection } from '@sessionkit/test-suite';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisSessionStore } from '../src/index.js';
import { CLIENT_KINDS, standaloneClient, type TestClient } from './support/clients.js';
import { REDIS_URL, runPrefix } from './support/probe.js';

const available = await redisAvailable();
const TTL = { ttlMs: 60_000 };
const USERS = 20;
// A 50,000-key command holds up the calls queued behind it; on a busy machine that can take
// seconds. These tests check that every call gets its own answer, not how fast.
const SLOW_OK = { operationTimeoutMs: 30_000 };

/**
 * With ioredis auto-pipelining, every command issued in one tick goes out in one pipeline and the
 * replies are handed back by position. A call that fails while ioredis builds it (a stack overflow
 * from tens of thousands of spread arguments) used to leave its callback queued without a command:
 * every later call in the batch got the reply meant for the next one (another user's session), and
 * ioredis then threw `results[i] is not iterable` from its callback, which ended the process.
 */
describe.skipIf(!available).each(CLIENT_KINDS)(
  'pipelining on %s: one call never answers, fails or throws for another',
  (kind) => {
    // the stores get a pipelining client of the kind under test; `client` writes the test's raw keys
    const client = new Redis(REDIS_URL);
    let handed: TestClient;
    beforeAll(async () => {
      handed = await standaloneClient(kind, REDIS_URL, { autoPipelining: true });
    });
    afterAll(async () => {
      await handed?.close();
      await client.quit();
    });

    it('a 50,000-key patch, a WRONGTYPE read and a script refusing garbage share a batch with 60 calls of 20 users: each gets its own answer', async () => {
      const uncaught: unknown[] = [];
      const onUncaught = (err: unknown) => uncaught.push(err);
      process.on('uncaughtException', onUncaught);
      // limits raised so the whole change reaches Redis (the defaults refuse it in the codec first)
      const store = new RedisSessionStore({
        client: handed.client,
        prefix: runPrefix('pipeline'),
        maxSessionKeys: 100_000,
        maxSessionBytes: 4 * 1024 * 1024,
        ...SLOW_OK,
      });
      const json = new RedisSessionStore({
        client: handed.client,
        prefix: runPrefix('pipeline-json'),
        format: 'json',
        ...SLOW_OK,
      });
      const disconnects: unknown[] = [];
      store.on('disconnect', () => disconnects.push('hash'));
      json.on('disconnect', () => disconnects.push('json'));
      try {
        const users = Array.from({ length: USERS }, (_, i) => `pipeline-user-${i}`);
        await Promise.all(users.map((sid, i) => store.set(sid, { me: i }, TTL)));
        await json.set('wrong-type', { a: 1 }, TTL);
        await client.set(`${json.prefix}garbage`, '{not json', 'PX', 60_000);
        await client.set(`${store.prefix}wrong-type`, 'a string, not a hash', 'PX', 60_000);
        const flood = Object.fromEntries(Array.from({ length: 50_000 }, (_, i) => [`k${i}`, i % 10]));

        // all issued in one tick: one auto-pipeline batch
        const reads = users.map((sid) => store.get(sid));
        const floodPatch = store.patch('pipeline-flood', { set: flood, unset: [] }, TTL);
        const readsAfter = users.map((sid) => store.get(sid));
        const wrongType = store.get('wrong-type');
        const garbage = json.patch('garbage', { set: { b: 1 }, unset: [] }, TTL);
        const writes = users.map((sid, i) => store.patch(sid, { set: { seen: i }, unset: [] }, TTL));

        const own = users.map((_, i) => ({ status: 'fulfilled', value: { me: i } }));
        const settled = await Promise.allSettled([
          Promise.allSettled(reads),
          floodPatch,
          Promise.allSettled(readsAfter),
          Promise.allSettled(writes),
          rejection(wrongType),
          rejection(garbage),
        ]);
        expect(settled[0]).toEqual({ status: 'fulfilled', value: own });
        expect(settled[1]).toEqual({ status: 'fulfilled', value: undefined });
        expect(settled[2]).toEqual({ status: 'fulfilled', value: own });
        expect(settled[4]).toMatchObject({
          status: 'fulfilled',
          value: { code: 'ERR_SESSION_DECODE', sid: 'wrong-type' },
        });
        expect(settled[5]).toMatchObject({
          status: 'fulfilled',
          value: { code: 'ERR_SESSION_DECODE', sid: 'garbage' },
        });
        expect(settled[3]).toEqual({
          status: 'fulfilled',
          value: users.map(() => ({ status: 'fulfilled', value: undefined })),
        });

        expect(await Promise.all(users.map((sid) => store.get(sid)))).toEqual(
          users.map((_, i) => ({ me: i, seen: i })),
        );
        const flooded = (await store.get('pipeline-flood')) as Record<string, number>;
        expect(Object.keys(flooded)).toHaveLength(50_000);
        expect(flooded['k49999']).toBe(9);
        expect(disconnects).toEqual([]);
        expect(uncaught).toEqual([]);
      } finally {
        process.off('uncaughtException', onUncaught);
        await store.clear();
        await json.clear();
        await client.del(`${store.prefix}wrong-type`);
        await store.close();
        await json.close();
      }
    }, 60_000);

    it('a 50,000-key patch in format json and a set of 50,000 keys: one script call each, in one batch with other users', async () => {
      const store = new RedisSessionStore({
        client: handed.client,
        prefix: runPrefix('pipeline-big'),
        format: 'json',
        maxSessionKeys: 100_000,
        maxSessionBytes: 4 * 1024 * 1024,
        ...SLOW_OK,
      });
      const hash = new RedisSessionStore({
        client: handed.client,
        prefix: runPrefix('pipeline-big-hash'),
        maxSessionKeys: 100_000,
        maxSessionBytes: 4 * 1024 * 1024,
        ...SLOW_OK,
      });
      try {
        const flood = Object.fromEntries(Array.from({ length: 50_000 }, (_, i) => [`k${i}`, i]));
        await Promise.all([store.set('other', { me: 'other' }, TTL), hash.set('other', { me: 'other' }, TTL)]);
        const calls = [
          store.get('other'),
          store.patch('big', { set: flood, unset: [] }, TTL),
          hash.set('big', flood, TTL),
          hash.get('other'),
          hash.patch('big-unset', { set: {}, unset: Object.keys(flood) }, TTL),
          store.get('other'),
        ];
        const [a, , , b, , c] = await Promise.all(calls);
        expect([a, b, c]).toEqual([{ me: 'other' }, { me: 'other' }, { me: 'other' }]);
        expect(Object.keys((await store.get('big'))!)).toHaveLength(50_000);
        expect(Object.keys((await hash.get('big'))!)).toHaveLength(50_000);
        expect(await hash.get('big-unset')).toEqual({});
      } finally {
        await store.clear();
        await hash.clear();
        await store.close();
        await hash.close();
      }
    }, 60_000);
  },
);
