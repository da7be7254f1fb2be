import assert from 'node:assert/strict';
import type { GroupContext } from '../types.js';
import { sleep } from '../util.js';

export function patchGroup(t: GroupContext): void {
  t.test('patch sets and unsets top-level keys and keeps the rest', () =>
    t.withStore(async (store) => {
      const sid = t.sid();
      await store.set(sid, { a: 1, b: 2, keep: { deep: true } }, { ttlMs: 60_000 });
      await store.patch(sid, { set: { b: 20, c: [3] }, unset: ['a'] }, { ttlMs: 60_000 });
      assert.deepEqual(await store.get(sid), { b: 20, c: [3], keep: { deep: true } });
    }),
  );

  t.test('a session returned by get, changed by the caller and written back, is stored as changed', () =>
    t.withStore(async (store) => {
      const sid = t.sid();
      await store.set(sid, { n: 1, cart: ['tea'], keep: true }, { ttlMs: 60_000 });
      const loaded = (await store.get(sid))!;
      loaded['n'] = 2;
      (loaded['cart'] as string[]).push('mug');
      await store.patch(sid, { set: loaded, unset: [] }, { ttlMs: 60_000 });
      assert.deepEqual(await store.get(sid), { n: 2, cart: ['tea', 'mug'], keep: true });
      const again = (await store.get(sid))!;
      again['n'] = 3;
      await store.set(sid, again, { ttlMs: 60_000 });
      assert.deepEqual(await store.get(sid), { n: 3, cart: ['tea', 'mug'], keep: true });
    }),
  );

  t.test('patch replaces a key whole, it does not deep-merge', () =>
    t.withStore(async (store) => {
      const sid = t.sid();
      await store.set(sid, { user: { id: 1, name: 'a' } }, { ttlMs: 60_000 });
      await store.patch(sid, { set: { user: { id: 2 } }, unset: [] }, { ttlMs: 60_000 });
      assert.deepEqual(await store.get(sid), { user: { id: 2 } });
    }),
  );

  t.test('patch of a missing sid creates the session', () =>
    t.withStore(async (store) => {
      const sid = t.sid();
      await store.patch(sid, { set: { cart: ['tea'] }, unset: ['nothing-to-remove'] }, { ttlMs: 60_000 });
      assert.deepEqual(await store.get(sid), { cart: ['tea'] });
    }),
  );

  t.test('a key set to undefined is removed', () =>
    t.withStore(async (store) => {
      const sid = t.sid();
      await store.set(sid, { a: 1, b: 2 }, { ttlMs: 60_000 });
      await store.patch(sid, { set: { a: undefined }, unset: [] }, { ttlMs: 60_000 });
      assert.deepEqual(await store.get(sid), { b: 2 });
    }),
  );

  t.test('patch sets the expiry', () =>
    t.withStore(async (store) => {
      const sid = t.sid();
      await store.set(sid, { a: 1 }, { ttlMs: 1000 });
      await store.patch(sid, { set: { b: 2 }, unset: [] }, { ttlMs: 4000 });
      await sleep(1800);
      assert.deepEqual(await store.get(sid), { a: 1, b: 2 });
      if (t.probe) {
        const stored = await t.probe.storedTtlMs(sid);
        assert.ok(stored !== null && stored > 1000 && stored <= 3000, `stored TTL ${stored} ms, expected about 2200`);
      }
    }),
  );

  t.test('an empty change keeps the data and refreshes the expiry', () =>
    t.withStore(async (store) => {
      const sid = t.sid();
      await store.set(sid, { a: 1 }, { ttlMs: 1500 });
      await sleep(700);
      await store.patch(sid, { set: {}, unset: [] }, { ttlMs: 3000 });
      await sleep(1300);
      assert.deepEqual(await store.get(sid), { a: 1 });
    }),
  );
}
