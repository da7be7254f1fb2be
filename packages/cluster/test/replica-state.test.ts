import assert from 'node:assert/strict';
import { describe, it } from 'vitest';
import { HybridClock } from '../src/clock.js';
import { emptyKeys, type SessionRecord } from '../src/record.js';
import { BUCKETS, ReplicaState } from '../src/replica-state.js';
import { prng, seedFromEnv, shuffle } from './fixtures/random.js';

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
    const one = new ReplicaState(10_000, 60_000);
    const two = new ReplicaState(10_000, 60_000);
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
    const state = new ReplicaState(100, 50);
    const record = write(clock, 1);
    assert.equal(state.apply('sid-live-0001', record), true);
    assert.equal(state.apply('sid-live-0001', record), false);
    state.apply('sid-short-001', write(clock, 2, 20));
    state.apply('sid-gone-0001', { reset: clock.tick(), dead: true, keys: emptyKeys() });
    assert.equal(state.size, 3);
    await new Promise((resolve) => setTimeout(resolve, 80));
    assert.equal(state.sweep(), 2);
    assert.deepEqual(state.sids(), ['sid-live-0001']);
  });

  it('the LRU bound holds, and an evicted record leaves the digest', () => {
    const clock = new HybridClock('a');
    const state = new ReplicaState(10, 60_000);
    for (let i = 0; i < 25; i++) state.apply(`sid-many-${i}`, write(clock, i));
    assert.equal(state.size, 10);
    const same = new ReplicaState(10, 60_000);
    for (const sid of state.sids()) same.apply(sid, state.get(sid)!);
    assert.deepEqual(state.digests(), same.digests());
  });
});
