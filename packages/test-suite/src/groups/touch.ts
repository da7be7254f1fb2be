import assert from 'node:assert/strict';
import type { GroupContext } from '../types.js';
import { sleep } from '../util.js';

export function touchGroup(t: GroupContext): void {
  t.test('touch extends the expiry', () =>
    t.withStore(async (store) => {
      const sid = t.sid();
      await store.set(sid, { a: 1 }, { ttlMs: 1500 });
      await sleep(800);
      await store.touch(sid, { ttlMs: 3000 });
      await sleep(1500); // 2.3 s after set: past the first TTL, inside the touched one
      assert.deepEqual(await store.get(sid), { a: 1 });
      if (t.probe) {
        const stored = await t.probe.storedTtlMs(sid);
        assert.ok(
          stored !== null && stored > 500 && stored <= 2500,
          `stored TTL ${stored} ms after touch, expected about 1500`,
        );
      }
    }),
  );

  t.test('touch keeps the data', () =>
    t.withStore(async (store) => {
      const sid = t.sid();
      await store.set(sid, { a: 1, b: { c: [1, 2] } }, { ttlMs: 60_000 });
      await store.touch(sid, { ttlMs: 120_000 });
      assert.deepEqual(await store.get(sid), { a: 1, b: { c: [1, 2] } });
    }),
  );

  t.test('touch of a missing sid does not create it', () =>
    t.withStore(async (store) => {
      const sid = t.sid();
      await store.touch(sid, { ttlMs: 60_000 });
      assert.equal(await store.get(sid), null);
      if (t.probe) assert.equal(await t.probe.storedTtlMs(sid), null);
    }),
  );
}
