import assert from 'node:assert/strict';
import type { GroupContext } from '../types.js';
import { sleep } from '../util.js';

export function expiryGroup(t: GroupContext): void {
  t.test('a session is gone once its TTL passes', () =>
    t.withStore(async (store) => {
      const sid = t.sid();
      await store.set(sid, { a: 1 }, { ttlMs: 1000 });
      assert.deepEqual(await store.get(sid), { a: 1 });
      await sleep(2100);
      assert.equal(await store.get(sid), null);
    }),
  );

  t.test('ttlMs <= 0 destroys the session', () =>
    t.withStore(async (store) => {
      const sid = t.sid();
      await store.set(sid, { a: 1 }, { ttlMs: 60_000 });
      await store.set(sid, { a: 2 }, { ttlMs: 0 });
      assert.equal(await store.get(sid), null);
      await store.set(sid, { a: 3 }, { ttlMs: 60_000 });
      await store.patch(sid, { set: { b: 1 }, unset: [] }, { ttlMs: -5 });
      assert.equal(await store.get(sid), null);
    }),
  );

  t.test('length does not count expired sessions', () =>
    t.withStore(async (store) => {
      await store.clear();
      await store.set(t.sid(), { short: true }, { ttlMs: 1000 });
      await store.set(t.sid(), { long: true }, { ttlMs: 60_000 });
      await sleep(2100);
      assert.equal(await store.length(), 1);
      const ids: string[] = [];
      for await (const id of store.ids()) ids.push(id);
      assert.equal(ids.length, 1);
    }),
  );

  if (!t.probe) {
    t.skipTest('the backend stores the absolute expiry', 'no probe for this store');
    t.skipTest('storage of expired sessions is reclaimed', 'no probe for this store');
    return;
  }
  const probe = t.probe;

  t.test('the backend stores the absolute expiry', () =>
    t.withStore(async (store) => {
      const sid = t.sid();
      await store.set(sid, { a: 1 }, { ttlMs: 60_000 });
      const stored = await probe.storedTtlMs(sid);
      assert.ok(stored !== null, 'the backend holds nothing for the sid');
      assert.ok(stored > 58_000 && stored <= 60_000 + 1000, `stored TTL ${stored} ms, expected about 60000`);
    }),
  );

  t.test('storage of expired sessions is reclaimed', () =>
    t.withStore(async (store) => {
      const sid = t.sid();
      await store.set(sid, { a: 1 }, { ttlMs: 1000 });
      await sleep(2100);
      await probe.reclaim?.();
      assert.equal(await probe.storedTtlMs(sid), null);
    }),
  );
}
