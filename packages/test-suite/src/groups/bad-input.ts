import assert from 'node:assert/strict';
import type { SessionStore } from '@sessionkit/core';
import type { GroupContext } from '../types.js';
import { rejection } from '../util.js';

// Still refused under express-session's genid contract: empty, over 256, control characters,
// lone surrogates, not a string.
const BAD_SIDS: unknown[] = [
  '',
  'a'.repeat(257),
  'newline\ninjected',
  'carriage\rreturn',
  'nul\u0000byte',
  'tab\tchar',
  'del\u007fchar',
  'c1\u0085control',
  'lone\ud800surrogate',
  '\udc00',
  null,
  undefined,
  12345678,
  { toString: () => 'object-sid-123' },
];

// Accepted: whatever express-session's genid may produce. Each would confuse a store that built a
// key pattern, a query or a frame out of it.
const ODD_SIDS = [
  'a',
  'apple',
  '*',
  '?',
  '[a-z]*',
  '\\*',
  'sess*glob?[chars]',
  "x'; DROP TABLE sessions; --",
  '"quoted"',
  '%',
  '%00',
  '/foo',
  '../../etc/passwd',
  'AbC+/x==',
  'has spaces in it',
  '{hashtag}',
  'ünïcode 🍵 id',
  '\u2028',
  'x'.repeat(256),
];

export function badInputGroup(t: GroupContext): void {
  t.test('invalid sids are refused with InvalidSessionIdError by every method', () =>
    t.withStore(async (store) => {
      for (const sid of BAD_SIDS) {
        const s = sid as string;
        const calls: [string, Promise<unknown>][] = [
          ['get', store.get(s)],
          ['set', store.set(s, { a: 1 }, { ttlMs: 60_000 })],
          ['patch', store.patch(s, { set: { a: 1 }, unset: [] }, { ttlMs: 60_000 })],
          ['touch', store.touch(s, { ttlMs: 60_000 })],
          ['destroy', store.destroy(s)],
        ];
        for (const [method, call] of calls) {
          const err = await rejection(call);
          assert.equal(
            err.code,
            'ERR_SESSION_ID_INVALID',
            `${method}(${JSON.stringify(String(sid))}) gave ${err.message}`,
          );
          assert.equal(err.name, 'InvalidSessionIdError');
        }
      }
      // none of them reached the backend as a session
      for await (const id of store.ids()) assert.ok(!BAD_SIDS.includes(id), `invalid sid ${id} was stored`);
    }),
  );

  t.test('odd but valid sids (globs, quotes, slashes, unicode, 256 chars) are sessions of their own', () =>
    t.withStore(async (store) => {
      const run = t.sid();
      const sids = ODD_SIDS.map((sid) => (sid.length < 200 ? `${sid}${run}` : sid));
      const other = t.sid();
      await store.set(other, { other: true }, { ttlMs: 60_000 });
      for (const [i, sid] of sids.entries()) {
        await store.set(sid, { i }, { ttlMs: 60_000 });
        await store.patch(sid, { set: { patched: i }, unset: [] }, { ttlMs: 60_000 });
        await store.touch(sid, { ttlMs: 60_000 });
        assert.deepEqual(await store.get(sid), { i, patched: i }, `sid ${JSON.stringify(sid)}`);
      }
      const listed = new Set<string>();
      for await (const id of store.ids()) listed.add(id);
      for (const sid of sids) assert.ok(listed.has(sid), `ids() lists ${JSON.stringify(sid)} exactly`);
      // a sid that looks like a pattern matches nothing but itself
      for (const sid of sids) await store.destroy(sid);
      assert.deepEqual(await store.get(other), { other: true });
      for (const sid of sids) assert.equal(await store.get(sid), null);
    }),
  );

  t.test('the 256-character sid and a one-character sid round-trip as given', () =>
    t.withStore(async (store) => {
      const long = `${t.sid()}${'y'.repeat(256)}`.slice(0, 256);
      for (const sid of [long, 'z']) {
        await store.set(sid, { ok: sid.length }, { ttlMs: 60_000 });
        assert.deepEqual(await store.get(sid), { ok: sid.length });
        await store.destroy(sid);
      }
    }),
  );

  t.test('data that is not JSON-serialisable is refused and the stored session is kept', () =>
    t.withStore(async (store) => {
      const sid = t.sid();
      await store.set(sid, { ok: 1 }, { ttlMs: 60_000 });
      const cyclic: Record<string, unknown> = { a: 1 };
      cyclic['self'] = cyclic;
      const bad: [string, Promise<unknown>][] = [
        ['set cyclic', store.set(sid, cyclic, { ttlMs: 60_000 })],
        ['set bigint', store.set(sid, { n: 10n }, { ttlMs: 60_000 })],
        ['set array', store.set(sid, [1, 2] as unknown as Record<string, unknown>, { ttlMs: 60_000 })],
        ['patch cyclic', store.patch(sid, { set: { self: cyclic }, unset: [] }, { ttlMs: 60_000 })],
        ['patch bigint', store.patch(sid, { set: { n: 1n }, unset: [] }, { ttlMs: 60_000 })],
        [
          'patch __proto__',
          store.patch(sid, { set: JSON.parse('{"__proto__": {"x": 1}}'), unset: [] }, { ttlMs: 60_000 }),
        ],
      ];
      for (const [what, call] of bad) {
        const err = await rejection(call);
        assert.equal(err.code, 'ERR_SESSION_ENCODE', `${what}: ${err.message}`);
      }
      assert.deepEqual(await store.get(sid), { ok: 1 });
    }),
  );

  t.test('a session over maxSessionBytes is refused and the stored session is kept', () =>
    t.withStore(
      async (store) => {
        const sid = t.sid();
        await store.set(sid, { ok: 1 }, { ttlMs: 60_000 });
        const big = { blob: 'x'.repeat(5000) };
        const setErr = await rejection(store.set(sid, big, { ttlMs: 60_000 }));
        assert.equal(setErr.code, 'ERR_SESSION_TOO_LARGE');
        const patchErr = await rejection(store.patch(sid, { set: big, unset: [] }, { ttlMs: 60_000 }));
        assert.equal(patchErr.code, 'ERR_SESSION_TOO_LARGE');
        // multi-byte characters count as bytes, not as UTF-16 units
        const wide = await rejection(store.set(sid, { blob: '€'.repeat(1500) }, { ttlMs: 60_000 }));
        assert.equal(wide.code, 'ERR_SESSION_TOO_LARGE');
        assert.deepEqual(await store.get(sid), { ok: 1 });
      },
      { maxSessionBytes: 4096 },
    ),
  );

  t.test('the default limit is 256 KiB', () =>
    t.withStore(async (store) => {
      const sid = t.sid();
      const err = await rejection(store.set(sid, { blob: 'x'.repeat(256 * 1024) }, { ttlMs: 60_000 }));
      assert.equal(err.code, 'ERR_SESSION_TOO_LARGE');
      await store.set(sid, { blob: 'x'.repeat(100_000) }, { ttlMs: 60_000 });
      assert.equal(((await store.get(sid)) as { blob: string }).blob.length, 100_000);
    }),
  );

  t.test('a non-numeric ttlMs is refused', () =>
    t.withStore(async (store) => {
      const err = await rejection(store.set(t.sid(), { a: 1 }, { ttlMs: Number.NaN }));
      assert.equal(err.code, 'ERR_STORE_CONFIG');
    }),
  );

  t.test('stored data cannot pollute prototypes', () =>
    t.withStore(async (store) => {
      const sid = t.sid();
      const nested = JSON.parse(
        '{"__proto__": {"polluted": "yes"}, "constructor": {"prototype": {"polluted": "yes"}}, "fine": 1}',
      );
      await store.set(sid, { nested }, { ttlMs: 60_000 });
      await store.patch(
        sid,
        { set: { other: JSON.parse('{"__proto__": {"polluted": "yes"}}') }, unset: [] },
        { ttlMs: 60_000 },
      );
      const data = (await store.get(sid)) as Record<string, Record<string, unknown>>;
      assert.equal(({} as Record<string, unknown>)['polluted'], undefined);
      assert.equal(data['nested']?.['polluted'], undefined);
      assert.equal(data['other']?.['polluted'], undefined);
      assert.equal(data['nested']?.['fine'], 1);
      assert.equal(Object.getPrototypeOf(data['nested']), Object.prototype);
    }),
  );

  const corrupt = t.probe?.corrupt?.bind(t.probe);
  if (!corrupt) {
    t.skipTest('undecodable stored bytes give SessionDecodeError', 'no probe can write raw bytes to this store');
    return;
  }
  t.test('undecodable stored bytes give SessionDecodeError, other sessions are unaffected', () =>
    t.withStore(async (store: SessionStore) => {
      const bad = t.sid();
      const good = t.sid();
      await store.set(bad, { a: 1 }, { ttlMs: 60_000 });
      await store.set(good, { b: 2 }, { ttlMs: 60_000 });
      await corrupt(bad);
      const err = await rejection(store.get(bad));
      assert.equal(err.code, 'ERR_SESSION_DECODE', err.message);
      assert.deepEqual(await store.get(good), { b: 2 });
      await store.set(bad, { repaired: true }, { ttlMs: 60_000 });
      assert.deepEqual(await store.get(bad), { repaired: true });
    }),
  );
}
