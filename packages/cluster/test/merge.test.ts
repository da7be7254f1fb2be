import assert from 'node:assert/strict';
import { describe, it } from 'vitest';
import { HybridClock, ZERO, compareVersions, type Version } from '../src/clock.js';
import {
  emptyKeys,
  isVisible,
  mergeRecords,
  recordFingerprint,
  recordJson,
  type SessionRecord,
} from '../src/record.js';
import { pick, prng, seedFromEnv, shuffle } from './support/random.js';

const FAR = Date.now() + 3_600_000;

function setRecord(v: Version, data: Record<string, unknown>): SessionRecord {
  const keys = emptyKeys();
  for (const [key, value] of Object.entries(data)) keys[key] = { v, json: JSON.stringify(value) };
  return { reset: v, keys, expiry: { v, at: FAR } };
}

function patchRecord(base: Version, v: Version, set: Record<string, unknown>, unset: string[] = []): SessionRecord {
  const keys = emptyKeys();
  for (const key of unset) keys[key] = { v };
  for (const [key, value] of Object.entries(set)) keys[key] = { v, json: JSON.stringify(value) };
  return { reset: base, keys, expiry: { v, at: FAR } };
}

const fold = (records: SessionRecord[]) => records.reduce((acc, r) => mergeRecords(acc, r));
const view = (r: SessionRecord) => `${isVisible(r, Date.now()) ? recordJson(r) : 'absent'} ${recordFingerprint(r)}`;

describe('hybrid logical clock', () => {
  it('issues strictly increasing versions even when the wall clock stands still or goes back', () => {
    let wall = 1000;
    const clock = new HybridClock('a', () => wall);
    const seen: Version[] = [];
    for (let i = 0; i < 50; i++) {
      if (i % 10 === 0) wall -= 5;
      seen.push(clock.tick());
    }
    for (let i = 1; i < seen.length; i++) assert.ok(compareVersions(seen[i]!, seen[i - 1]!) > 0);
  });

  it('a version issued after observing a peer version is newer than it', () => {
    const slow = new HybridClock('slow', () => 1000);
    slow.observe([5000, 7, 'fast']);
    assert.ok(compareVersions(slow.tick(), [5000, 7, 'fast']) > 0);
  });
});

describe('merge rules', () => {
  const clock = new HybridClock('a');
  it('a destroy beats a patch based on the incarnation before it, in either order', () => {
    const s = clock.tick();
    const created = setRecord(s, { user: 'ann' });
    const late = patchRecord(s, clock.tick(), { cart: ['tea'] });
    const destroyed: SessionRecord = { reset: clock.tick(), dead: true, keys: emptyKeys() };
    for (const order of [
      [created, late, destroyed],
      [created, destroyed, late],
      [destroyed, late, created],
    ]) {
      assert.equal(isVisible(fold(order), Date.now()), false);
    }
  });

  it('a set after a destroy starts a new session; patches on it merge', () => {
    const destroyed: SessionRecord = { reset: clock.tick(), dead: true, keys: emptyKeys() };
    const fresh = setRecord(clock.tick(), { fresh: true });
    const more = patchRecord(fresh.reset, clock.tick(), { more: 1 });
    for (const order of [
      [destroyed, fresh, more],
      [more, destroyed, fresh],
      [fresh, more, destroyed],
    ]) {
      assert.equal(recordJson(fold(order)), '{"fresh":true,"more":1}');
    }
  });

  it('a patch written after a set, on a node that had not seen the set yet, survives the set arriving', () => {
    // login (set) on A at t=10; the next request lands on B before the set does and adds to the cart at t=12
    const login = setRecord([10, 0, 'a'], { user: 'ann', cookie: 1 });
    const cartOnB = patchRecord(ZERO, [12, 0, 'b'], { cart: ['tea'] });
    const stale = patchRecord(ZERO, [8, 0, 'b'], { before: 'the login' });
    for (const order of [
      [cartOnB, login, stale],
      [login, stale, cartOnB],
      [stale, cartOnB, login],
    ]) {
      assert.equal(recordJson(fold(order)), '{"cart":["tea"],"cookie":1,"user":"ann"}');
    }
  });

  it('patches of different keys both survive; the same key keeps the newer version', () => {
    const s = clock.tick();
    const a = patchRecord(s, clock.tick(), { a: 1, hot: 'first' });
    const b = patchRecord(s, clock.tick(), { b: 2, hot: 'second' });
    assert.equal(recordJson(fold([setRecord(s, {}), b, a])), '{"a":1,"b":2,"hot":"second"}');
  });

  it('an unset removes a key written by an older version only', () => {
    const s = clock.tick();
    const unset = patchRecord(s, clock.tick(), {}, ['a']);
    const newer = patchRecord(s, clock.tick(), { a: 'again' });
    assert.equal(recordJson(fold([setRecord(s, { a: 1 }), newer, unset])), '{"a":"again"}');
  });

  it('keys named like Object.prototype members are plain keys', () => {
    const s = clock.tick();
    const merged = fold([
      setRecord(s, { toString: 1, hasOwnProperty: 2 }),
      patchRecord(s, clock.tick(), { valueOf: 3, toString: 4 }),
    ]);
    assert.equal(recordJson(merged), '{"hasOwnProperty":2,"toString":4,"valueOf":3}');
  });

  it('property: any order, with duplicates, gives the same record (commutative, associative, idempotent)', () => {
    const seed = seedFromEnv();
    const random = prng(seed);
    try {
      for (let round = 0; round < 300; round++) {
        const clocks = ['a', 'b', 'c'].map((node) => {
          let wall = 1_000_000 + Math.floor(random() * 20);
          return new HybridClock(node, () => (wall += Math.floor(random() * 3) - 1));
        });
        const incarnations: Version[] = [ZERO];
        const records: SessionRecord[] = [];
        for (let i = 0; i < 12; i++) {
          const clock = pick(random, clocks);
          const v = clock.tick();
          const keys = ['a', 'b', 'c', 'd'].filter(() => random() < 0.4);
          const kind = pick(random, ['set', 'patch', 'patch', 'touch', 'destroy'] as const);
          if (kind === 'set') {
            records.push(setRecord(v, Object.fromEntries(keys.map((k) => [k, `${k}${i}`]))));
            incarnations.push(v);
          } else if (kind === 'destroy') {
            records.push({ reset: v, dead: true, keys: emptyKeys() });
          } else {
            const base = pick(random, incarnations);
            records.push(
              kind === 'touch'
                ? { reset: base, keys: emptyKeys(), expiry: { v, at: FAR + i } }
                : patchRecord(base, v, { [keys[0] ?? 'a']: i }, keys.slice(1)),
            );
          }
        }
        const expected = view(fold(records));
        for (let k = 0; k < 5; k++) {
          const order = shuffle(random, [...records, ...records.filter(() => random() < 0.3)]);
          assert.equal(view(fold(order)), expected);
          // grouping: merge two halves separately, then together
          const cut = Math.floor(random() * (order.length - 1)) + 1;
          assert.equal(view(mergeRecords(fold(order.slice(0, cut)), fold(order.slice(cut)))), expected);
        }
      }
    } catch (err) {
      console.error(`merge property failed with SEED=${seed}`);
      throw err;
    }
  });
});
