import assert from 'node:assert/strict';
import type { GroupContext } from '../types.js';

export function basicGroup(t: GroupContext): void {
  t.test('has a name', () =>
    t.withStore(async (store) => {
      assert.equal(typeof store.name, 'string');
      assert.ok(store.name.length > 0);
    }),
  );

  t.test('get of an unknown sid is null', () =>
    t.withStore(async (store) => {
      assert.equal(await store.get(t.sid()), null);
    }),
  );

  t.test('set then get returns the same data', () =>
    t.withStore(async (store) => {
      const sid = t.sid();
      const data = {
        cookie: {
          originalMaxAge: 60000,
          expires: new Date(Date.now() + 60000).toISOString(),
          httpOnly: true,
          path: '/',
        },
        user: { id: 42, name: 'Zoë 🛒', roles: ['buyer'] },
        cart: [{ sku: 'tea', qty: 2 }],
        flag: false,
        nothing: null,
        ratio: 0.25,
      };
      await store.set(sid, data, { ttlMs: 60_000 });
      assert.deepEqual(await store.get(sid), data);
    }),
  );

  t.test('set replaces the whole session', () =>
    t.withStore(async (store) => {
      const sid = t.sid();
      await store.set(sid, { a: 1, b: 2 }, { ttlMs: 60_000 });
      await store.set(sid, { c: 3 }, { ttlMs: 60_000 });
      assert.deepEqual(await store.get(sid), { c: 3 });
    }),
  );

  t.test('get returns a copy: mutating it does not change the store', () =>
    t.withStore(async (store) => {
      const sid = t.sid();
      const data = { cart: [{ sku: 'tea', qty: 1 }] };
      await store.set(sid, data, { ttlMs: 60_000 });
      data.cart.push({ sku: 'mutated after set', qty: 9 });
      const first = (await store.get(sid)) as { cart: unknown[] };
      first.cart.push('mutated after get');
      assert.deepEqual(await store.get(sid), { cart: [{ sku: 'tea', qty: 1 }] });
    }),
  );

  t.test('sessions are independent', () =>
    t.withStore(async (store) => {
      const a = t.sid();
      const b = t.sid();
      await store.set(a, { who: 'a' }, { ttlMs: 60_000 });
      await store.set(b, { who: 'b' }, { ttlMs: 60_000 });
      await store.destroy(a);
      assert.equal(await store.get(a), null);
      assert.deepEqual(await store.get(b), { who: 'b' });
    }),
  );
}
