import assert from 'node:assert/strict';
import type { SessionData, SessionStore } from '@sessionkit/core';
import type { GroupContext } from '../types.js';
import { rejection } from '../util.js';

const TTL = { ttlMs: 60_000 };
const nested = (depth: number): unknown => (depth === 0 ? 'leaf' : { n: nested(depth - 1) });

// Strings every backend must hold exactly: NUL (PostgreSQL jsonb cannot hold it natively),
// escapes that a naive text replacement would confuse with NUL, and characters JSON handles apart.
const STRINGS = {
  nul: 'a\u0000b',
  nulOnly: '\u0000',
  escapedNulText: '\\u0000',
  backslashNul: '\\\u0000',
  privateUse: '\ue000\ue000\u0000',
  separators: '\u2028\u2029',
  emoji: 'tea 🍵',
  quotes: `'"\``,
  controls: '\u0001\u001f\u007f',
};

/** The input table: what goes in, and what every store gives back. */
function storedFormTable(): { input: SessionData; stored: SessionData } {
  const when = new Date('2026-01-02T03:04:05.000Z');
  return {
    input: {
      ...STRINGS,
      'key\u0000with nul': 1,
      nestedKeys: { 'in\u0000ner': STRINGS.nul, '\\u0000': 2 },
      when,
      fn: () => 1,
      sym: Symbol('s'),
      undef: undefined,
      nan: Number.NaN,
      inf: Number.POSITIVE_INFINITY,
      list: [1, undefined, () => 1, Symbol('s'), 'x'],
      obj: { a: undefined, b: 1, f: () => 1 },
      deep: nested(30),
    },
    stored: {
      ...STRINGS,
      'key\u0000with nul': 1,
      nestedKeys: { 'in\u0000ner': STRINGS.nul, '\\u0000': 2 },
      when: '2026-01-02T03:04:05.000Z',
      nan: null,
      inf: null,
      list: [1, null, null, null, 'x'],
      obj: { b: 1 },
      deep: nested(30),
    },
  };
}

function refusedTable(maxSessionKeys: number): [string, SessionData][] {
  const cyclic: Record<string, unknown> = {};
  cyclic['self'] = cyclic;
  return [
    ['a lone high surrogate', { s: 'a\ud800' }],
    ['a lone low surrogate, nested', { s: [{ t: '\udc00x' }] }],
    ['a key with a lone surrogate', { ['k\ud800']: 1 }],
    ['a nested key with a lone surrogate', { o: { ['\udc00']: 1 } }],
    ['a Map', { m: new Map([['a', 1]]) }],
    ['a Set', { s: new Set([1]) }],
    ['a BigInt', { n: 1n }],
    ['nesting of 33', { deep: nested(32) }],
    ['a cycle', { cyclic }],
    [
      'more than maxSessionKeys keys',
      Object.fromEntries(Array.from({ length: maxSessionKeys + 1 }, (_, i) => [`k${i}`, i])),
    ],
  ];
}

/**
 * One input table on every store: the same value is stored the same way, or refused the same way
 * (`SessionEncodeError`), and a refused value is this call's problem only: no `disconnect`, the
 * stored session and everybody else's are untouched.
 */
export function valuesGroup(t: GroupContext): void {
  const watchDisconnects = (store: SessionStore) => {
    const seen: unknown[] = [];
    store.on('disconnect', (...args) => seen.push(args));
    return seen;
  };

  t.test('set and patch store what JSON round-trips, NUL included, on every store', () =>
    t.withStore(async (store) => {
      const { input, stored } = storedFormTable();
      const viaSet = t.sid();
      await store.set(viaSet, input, TTL);
      assert.deepEqual(await store.get(viaSet), stored);
      const viaPatch = t.sid();
      await store.patch(viaPatch, { set: { first: 1 }, unset: [] }, TTL);
      await store.patch(viaPatch, { set: input, unset: [] }, TTL);
      assert.deepEqual(await store.get(viaPatch), { first: 1, ...stored });
    }),
  );

  t.test('refused values give SessionEncodeError on set and patch, and change nothing', () =>
    t.withStore(
      async (store) => {
        const disconnects = watchDisconnects(store);
        const sid = t.sid();
        const bystander = t.sid();
        await store.set(sid, { ok: 1 }, TTL);
        await store.set(bystander, { mine: true }, TTL);
        for (const [what, data] of refusedTable(50)) {
          const viaSet = await rejection(store.set(sid, data, TTL));
          assert.equal(viaSet.code, 'ERR_SESSION_ENCODE', `set with ${what}: ${viaSet.message}`);
          const viaPatch = await rejection(store.patch(sid, { set: data, unset: [] }, TTL));
          assert.equal(viaPatch.code, 'ERR_SESSION_ENCODE', `patch with ${what}: ${viaPatch.message}`);
        }
        assert.deepEqual(await store.get(sid), { ok: 1 });
        assert.deepEqual(await store.get(bystander), { mine: true });
        assert.deepEqual(disconnects, [], 'a refused value must not look like an outage');
      },
      { maxSessionKeys: 50 },
    ),
  );

  t.test('nesting of 32 levels is stored', () =>
    t.withStore(async (store) => {
      const sid = t.sid();
      await store.set(sid, { deep: nested(30) }, TTL);
      await store.patch(
        sid,
        {
          set: { deeper: nested(30), arrays: [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]]]]]]]] },
          unset: [],
        },
        TTL,
      );
      assert.deepEqual(await store.get(sid), {
        deep: nested(30),
        deeper: nested(30),
        arrays: [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]]]]]]]],
      });
    }),
  );

  t.test(
    'a change of maxSessionKeys keys is one atomic patch, and so is removing them',
    () =>
      t.withStore(async (store) => {
        const disconnects = watchDisconnects(store);
        const sid = t.sid();
        const keys = Array.from({ length: 2000 }, (_, i) => `key-${i}`);
        await store.patch(sid, { set: Object.fromEntries(keys.map((k, i) => [k, i])), unset: [] }, TTL);
        const data = (await store.get(sid)) as SessionData;
        assert.equal(Object.keys(data).length, 2000);
        assert.equal(data['key-1999'], 1999);
        await store.patch(sid, { set: { 'key-0': 'left' }, unset: keys.slice(1) }, TTL);
        assert.deepEqual(await store.get(sid), { 'key-0': 'left' });
        assert.deepEqual(disconnects, []);
      }),
    60_000,
  );

  t.test('maxSessionBytes bounds the whole stored session, not each write', () =>
    t.withStore(
      async (store) => {
        const sid = t.sid();
        const chunk = 'x'.repeat(1500);
        await store.patch(sid, { set: { a: chunk }, unset: [] }, TTL);
        await store.patch(sid, { set: { b: chunk }, unset: [] }, TTL);
        const err = await rejection(store.patch(sid, { set: { c: chunk }, unset: [] }, TTL));
        assert.equal(err.code, 'ERR_SESSION_TOO_LARGE', err.message);
        assert.deepEqual(await store.get(sid), { a: chunk, b: chunk });
        // replacing a key with a smaller value still fits
        await store.patch(sid, { set: { a: 'small', c: chunk }, unset: [] }, TTL);
        assert.deepEqual(await store.get(sid), { a: 'small', b: chunk, c: chunk });
      },
      { maxSessionBytes: 4096 },
    ),
  );
}
