import assert from 'node:assert/strict';
import type { GroupContext } from '../types.js';

export function concurrencyGroup(t: GroupContext): void {
  t.test('50 concurrent patches of different keys on one sid all survive', () =>
    t.withStore(async (store) => {
      const sid = t.sid();
      await store.set(sid, { base: true }, { ttlMs: 60_000 });
      await Promise.all(
        Array.from({ length: 50 }, (_, i) =>
          store.patch(sid, { set: { [`key${i}`]: i }, unset: [] }, { ttlMs: 60_000 }),
        ),
      );
      const data = await store.get(sid);
      assert.ok(data);
      const expected: Record<string, unknown> = { base: true };
      for (let i = 0; i < 50; i++) expected[`key${i}`] = i;
      assert.deepEqual(data, expected);
    }),
  );

  t.test('50 concurrent patches on a new sid all survive', () =>
    t.withStore(async (store) => {
      const sid = t.sid();
      await Promise.all(
        Array.from({ length: 50 }, (_, i) =>
          store.patch(sid, { set: { [`key${i}`]: i }, unset: [] }, { ttlMs: 60_000 }),
        ),
      );
      assert.equal(Object.keys((await store.get(sid)) ?? {}).length, 50);
    }),
  );

  t.test('same key: the later write wins', () =>
    t.withStore(async (store) => {
      const sid = t.sid();
      await store.patch(sid, { set: { step: 1, other: 'x' }, unset: [] }, { ttlMs: 60_000 });
      await store.patch(sid, { set: { step: 2 }, unset: [] }, { ttlMs: 60_000 });
      await store.patch(sid, { set: { step: 3 }, unset: [] }, { ttlMs: 60_000 });
      assert.deepEqual(await store.get(sid), { step: 3, other: 'x' });
    }),
  );

  t.test('concurrent patches of one key end with one of the written values, others kept', () =>
    t.withStore(async (store) => {
      const sid = t.sid();
      await store.set(sid, { keep: 1 }, { ttlMs: 60_000 });
      await Promise.all(
        Array.from({ length: 20 }, (_, i) => store.patch(sid, { set: { hot: i }, unset: [] }, { ttlMs: 60_000 })),
      );
      const data = (await store.get(sid)) as { hot: number; keep: number };
      assert.equal(data.keep, 1);
      assert.ok(Number.isInteger(data.hot) && data.hot >= 0 && data.hot < 20);
    }),
  );
}
