import assert from 'node:assert/strict';
import type { GroupContext } from '../types.js';

export function idsGroup(t: GroupContext): void {
  t.test('ids() streams every live sid and length() counts them', () =>
    t.withStore(async (store) => {
      await store.clear();
      const sids = new Set(Array.from({ length: 250 }, () => t.sid()));
      await Promise.all([...sids].map((sid, i) => store.set(sid, { i }, { ttlMs: 60_000 })));
      const seen = new Set<string>();
      for await (const id of store.ids()) seen.add(id);
      assert.deepEqual([...seen].sort(), [...sids].sort());
      assert.equal(await store.length(), 250);
    }),
  );

  t.test('ids() can be abandoned part way', () =>
    t.withStore(async (store) => {
      await store.clear();
      await Promise.all(Array.from({ length: 30 }, () => store.set(t.sid(), { a: 1 }, { ttlMs: 60_000 })));
      let taken = 0;
      for await (const _ of store.ids()) {
        if (++taken === 5) break;
      }
      assert.equal(taken, 5);
      assert.equal(await store.length(), 30);
    }),
  );

  t.test('clear() removes every session', () =>
    t.withStore(async (store) => {
      const sids = Array.from({ length: 40 }, () => t.sid());
      await Promise.all(sids.map((sid) => store.set(sid, { a: 1 }, { ttlMs: 60_000 })));
      await store.clear();
      assert.equal(await store.length(), 0);
      for (const sid of sids.slice(0, 5)) assert.equal(await store.get(sid), null);
      let any = false;
      for await (const _ of store.ids()) any = true;
      assert.equal(any, false);
    }),
  );
}
