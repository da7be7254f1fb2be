import assert from 'node:assert/strict';
import type { GroupContext } from '../types.js';

export function destroyGroup(t: GroupContext): void {
  t.test('destroy removes the session and is idempotent', () =>
    t.withStore(async (store) => {
      const sid = t.sid();
      await store.set(sid, { a: 1 }, { ttlMs: 60_000 });
      await store.destroy(sid);
      assert.equal(await store.get(sid), null);
      await store.destroy(sid);
      await store.destroy(t.sid());
      if (t.probe) assert.equal(await t.probe.storedTtlMs(sid), null);
    }),
  );

  t.test('a late patch from a request that loaded before the destroy does not resurrect it', () =>
    t.withStore(async (store) => {
      const sid = t.sid();
      await store.set(sid, { user: 'ann', cart: [] }, { ttlMs: 60_000 });
      const loaded = await store.get(sid); // request A loads the session
      assert.ok(loaded);
      await store.destroy(sid); // request B logs out
      await store.patch(sid, { set: { cart: ['tea'] }, unset: [] }, { ttlMs: 60_000 }); // A saves late
      assert.equal(await store.get(sid), null);
    }),
  );

  t.test('a destroy racing a patch from an earlier load: the session stays destroyed', () =>
    t.withStore(async (store) => {
      const sids = Array.from({ length: 20 }, () => t.sid());
      await Promise.all(sids.map((sid) => store.set(sid, { user: 'ann' }, { ttlMs: 60_000 })));
      await Promise.all(sids.map((sid) => store.get(sid)));
      await Promise.all(
        sids.flatMap((sid, i) => {
          const patch = store.patch(sid, { set: { cart: [i] }, unset: [] }, { ttlMs: 60_000 });
          const destroy = store.destroy(sid);
          return i % 2 ? [patch, destroy] : [destroy, patch];
        }),
      );
      for (const sid of sids) assert.equal(await store.get(sid), null, `session ${sid} came back`);
    }),
  );

  t.test('a late touch does not resurrect a destroyed session', () =>
    t.withStore(async (store) => {
      const sid = t.sid();
      await store.set(sid, { a: 1 }, { ttlMs: 60_000 });
      await store.destroy(sid);
      await store.touch(sid, { ttlMs: 60_000 });
      assert.equal(await store.get(sid), null);
    }),
  );

  t.test('an explicit set after a destroy stores a new session', () =>
    t.withStore(async (store) => {
      const sid = t.sid();
      await store.set(sid, { a: 1 }, { ttlMs: 60_000 });
      await store.destroy(sid);
      await store.set(sid, { fresh: true }, { ttlMs: 60_000 });
      assert.deepEqual(await store.get(sid), { fresh: true });
      await store.patch(sid, { set: { more: 1 }, unset: [] }, { ttlMs: 60_000 });
      assert.deepEqual(await store.get(sid), { fresh: true, more: 1 });
    }),
  );
}
