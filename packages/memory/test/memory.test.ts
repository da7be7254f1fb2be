import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { createStore } from '@sessionkit/core';
import { describe, expect, it } from 'vitest';
import { MemorySessionStore } from '../src/index.js';

const run = promisify(execFile);

// The conformance suite runs against this store in packages/test-suite/test/memory.test.ts.

describe('bounds', () => {
  it('200,000 inserts with max 10,000 keep count and bytes bounded', async () => {
    const maxSizeBytes = 4 * 1024 * 1024;
    const store = new MemorySessionStore({ max: 10_000, maxSizeBytes });
    const cart = [{ sku: 'tea', qty: 2 }];
    let peakCount = 0;
    let peakBytes = 0;
    for (let i = 0; i < 200_000; i++) {
      await store.set(`bounded-${i.toString().padStart(8, '0')}`, { user: `u${i}`, cart }, { ttlMs: 3_600_000 });
      if (i % 1000 === 0) {
        peakCount = Math.max(peakCount, store.size);
        peakBytes = Math.max(peakBytes, store.sizeBytes);
      }
    }
    expect(store.size).toBe(10_000);
    expect(peakCount).toBeLessThanOrEqual(10_000);
    expect(peakBytes).toBeLessThanOrEqual(maxSizeBytes);
    // the most recent sessions are the ones kept
    expect(await store.get('bounded-00199999')).toEqual({ user: 'u199999', cart });
    expect(await store.get('bounded-00000000')).toBeNull();
  }, 120_000);

  it('maxSizeBytes evicts before max is reached', async () => {
    const store = new MemorySessionStore({ max: 10_000, maxSizeBytes: 64 * 1024 });
    for (let i = 0; i < 1000; i++) await store.set(`sized-${i.toString().padStart(6, '0')}`, { blob: 'x'.repeat(1000) }, { ttlMs: 60_000 });
    expect(store.sizeBytes).toBeLessThanOrEqual(64 * 1024);
    expect(store.size).toBeLessThan(64);
    expect(await store.length()).toBe(store.size);
  });

  it('10,000 tiny anonymous sessions do not evict a logged-in user (count bound)', async () => {
    const store = new MemorySessionStore({ max: 1000 });
    await store.set('victim-passport', { passport: { user: 'alice' }, cart: ['tea'] }, { ttlMs: 3_600_000 });
    await store.set('victim-userid', { userId: 42 }, { ttlMs: 3_600_000 });
    for (let i = 0; i < 10_000; i++) await store.set(`flood-${i}`, { n: i }, { ttlMs: 3_600_000 });
    expect(store.size).toBe(1000);
    expect(await store.get('victim-passport')).toEqual({ passport: { user: 'alice' }, cart: ['tea'] });
    expect(await store.get('victim-userid')).toEqual({ userId: 42 });
  }, 60_000);

  it('large anonymous sessions do not evict a logged-in user (byte bound); a login moves a session out of the anonymous list', async () => {
    const store = new MemorySessionStore({ maxSizeBytes: 4 * 1024 * 1024 });
    await store.set('victim', { cart: [] }, { ttlMs: 3_600_000 });
    // the victim logs in through a patch, as express-session saves a login
    await store.patch('victim', { set: { passport: { user: 'bob' } }, unset: [] }, { ttlMs: 3_600_000 });
    const blob = 'x'.repeat(200 * 1024);
    for (let i = 0; i < 64; i++) await store.set(`big-${i}`, { blob }, { ttlMs: 3_600_000 });
    expect(store.sizeBytes).toBeLessThanOrEqual(4 * 1024 * 1024);
    expect(await store.get('victim')).toEqual({ cart: [], passport: { user: 'bob' } });
    // once only logged-in sessions are left, the least recently used of them goes
    const users = new MemorySessionStore({ max: 3 });
    for (let i = 0; i < 4; i++) await users.set(`user-${i}`, { userId: i }, { ttlMs: 60_000 });
    expect(await users.get('user-0')).toBeNull();
    expect(await users.get('user-3')).toEqual({ userId: 3 });
  }, 60_000);

  it('a principal function that throws is reported once and the session is kept as anonymous', async () => {
    const errors: unknown[] = [];
    const store = new MemorySessionStore({ principal: () => { throw new Error('boom'); } });
    store.on('error', (err) => errors.push(err));
    await store.set('p-1', { userId: 1 }, { ttlMs: 60_000 });
    await store.set('p-2', { userId: 2 }, { ttlMs: 60_000 });
    expect(await store.get('p-1')).toEqual({ userId: 1 });
    expect(errors).toHaveLength(1);
    expect(String(errors[0])).toMatch(/principal\(data\) failed/);
  });

  it('refuses nonsense bounds with StoreConfigError', () => {
    expect(() => new MemorySessionStore({ max: 0 })).toThrow(/max must be a positive integer/);
    expect(() => new MemorySessionStore({ maxSizeBytes: -1 })).toThrow(/maxSizeBytes/);
  });
});

describe('process lifetime', () => {
  it('a process holding sessions with long TTLs exits on its own', async () => {
    const fixture = fileURLToPath(new URL('./fixtures/hold-sessions.ts', import.meta.url));
    const { stdout } = await run(process.execPath, ['--import', 'tsx', fixture], { timeout: 20_000 });
    expect(stdout.trim()).toBe('stored 999 sessions');
  }, 30_000);
});

describe('createStore', () => {
  it('memory:// creates a MemorySessionStore with URL options', async () => {
    const store = createStore('memory://?max=5');
    expect(store).toBeInstanceOf(MemorySessionStore);
    for (let i = 0; i < 8; i++) await store.set(`url-store-${i}`, { i }, { ttlMs: 60_000 });
    expect(await store.length()).toBe(5);
  });
});
