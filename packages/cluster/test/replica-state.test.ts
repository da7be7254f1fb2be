import assert from 'node:assert/strict';
import { describe, it } from 'vitest';
import { HybridClock } from '../src/clock.js';
import { emptyKeys, type SessionRecord } from '../src/record.js';
import { BUCKETS, ReplicaState } from '../src/replica-state.js';

const anonymous = () => undefined;
const state = (max: number, tombstoneTtlMs: number, maxSizeBytes = 1 << 30) =>
  new ReplicaState({ max, maxSizeBytes, tombstoneTtlMs, principal: anonymous });
import { prng, seedFromEnv, shuffle } from './support/random.js';

const zero = '0'.repeat(32);

function write(clock: HybridClock, value: number, ttlMs = 60_000): SessionRecord {
  const v = clock.tick();
  const keys = emptyKeys();
  keys['n'] = { v, json: String(value) };
  return { reset: v, keys, expiry: { v, at: Date.now() + ttlMs } };
}

describe('replica state digests', () => {
  it('equal states give equal digests whatever the order of changes; removing everything gives zero', () => {
    const seed = seedFromEnv();
    const random = prng(seed);
    const clock = new HybridClock('a');
    const changes: [string, SessionRecord][] = [];
    for (let i = 0; i < 400; i++) changes.push([`sid-${Math.floor(random() * 120)}-xxxxx`, write(clock, i)]);
    const one = state(10_000, 60_000);
    const two = state(10_000, 60_000);
    for (const [sid, record] of changes) one.apply(sid, record);
    for (const [sid, record] of shuffle(random, changes)) two.apply(sid, record);
    assert.deepEqual(one.digests(), two.digests(), `SEED=${seed}`);
    assert.equal(one.digests().length, BUCKETS);
    assert.ok(one.digests().some((d) => d !== zero));
    two.apply('sid-extra-000', write(clock, 1));
    assert.notDeepEqual(one.digests(), two.digests());
    one.clear();
    assert.ok(one.digests().every((d) => d === zero));
  });

  it('a replayed change reports no change; expired sessions and old tombstones are swept', async () => {
    const clock = new HybridClock('a');
    const held = state(100, 50);
    const record = write(clock, 1);
    assert.equal(held.apply('sid-live-0001', record), true);
    assert.equal(held.apply('sid-live-0001', record), false);
    held.apply('sid-short-001', write(clock, 2, 20));
    held.apply('sid-gone-0001', { reset: clock.tick(), dead: true, keys: emptyKeys() });
    assert.equal(held.size, 3);
    await new Promise((resolve) => setTimeout(resolve, 80));
    assert.equal(held.sweep(), 2);
    assert.deepEqual(held.sids(), ['sid-live-0001']);
  });

  it('the LRU bound holds, and an evicted record leaves the digest', () => {
    const clock = new HybridClock('a');
    const held = state(10, 60_000);
    for (let i = 0; i < 25; i++) held.apply(`sid-many-${i}`, write(clock, i));
    assert.equal(held.size, 10);
    const same = state(10, 60_000);
    for (const sid of held.sids()) same.apply(sid, held.get(sid)!);
    assert.deepEqual(held.digests(), same.digests());
  });

  it('the byte bound holds; anonymous records are evicted before logged-in ones, and their bytes leave the count', () => {
    const clock = new HybridClock('a');
    const byUser = new ReplicaState({
      max: 1000,
      maxSizeBytes: 64 * 1024,
      tombstoneTtlMs: 60_000,
      principal: (sid) => (sid.startsWith('user-') ? sid : undefined),
    });
    const big = (value: number): SessionRecord => {
      const record = write(clock, value);
      record.keys['blob'] = { v: record.reset, json: JSON.stringify('x'.repeat(4000)) };
      return record;
    };
    for (let i = 0; i < 5; i++) byUser.apply(`user-${i}`, big(i));
    for (let i = 0; i < 200; i++) byUser.apply(`anon-${i}`, big(i));
    assert.ok(byUser.bytes <= 64 * 1024, `${byUser.bytes} bytes held`);
    for (let i = 0; i < 5; i++) assert.ok(byUser.get(`user-${i}`), `user-${i} was evicted`);
    assert.equal(byUser.principalOf('user-0'), 'user-0');
    // Only logged-in sessions left to evict: the least recently used of them goes.
    for (let i = 5; i < 40; i++) byUser.apply(`user-${i}`, big(i));
    assert.ok(byUser.bytes <= 64 * 1024);
    assert.equal(byUser.get('user-0'), undefined);
    assert.ok(byUser.get('user-39'));
    byUser.clear();
    assert.equal(byUser.bytes, 0);
  });
});
