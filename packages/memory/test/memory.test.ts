import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { createStore, rememberStoredForm } from '@sessionkit/core';
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
    for (let i = 0; i < 1000; i++)
      await store.set(`sized-${i.toString().padStart(6, '0')}`, { blob: 'x'.repeat(1000) }, { ttlMs: 60_000 });
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
    const store = new MemorySessionStore({
      principal: () => {
        throw new Error('boom');
      },
    });
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

describe('sessions read from other stores', () => {
  it('a session from a per-key layout (its field texts remembered), changed by its caller, is patched in as changed', async () => {
    const store = new MemorySessionStore();
    const sid = 'a'.repeat(32);
    // What a Redis hash read returns: the object with the text of each field it was decoded from.
    const read = rememberStoredForm(
      { n: 1, cart: ['tea'] } as Record<string, unknown>,
      new Map([
        ['n', '1'],
        ['cart', '["tea"]'],
      ]),
    );
    read['n'] = 2;
    (read['cart'] as string[]).push('mug');
    await store.patch(sid, { set: read, unset: [] }, { ttlMs: 60_000 });
    expect(await store.get(sid)).toEqual({ n: 2, cart: ['tea', 'mug'] });
    await store.close();
  });
});

describe('process lifetime', () => {
  it('a process holding sessions with long TTLs exits on its own', async () => {
    const fixture = fileURLToPath(new URL('./support/hold-sessions.ts', import.meta.url));
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

  it('memory:// refuses a parameter it does not know, and a value that is not a number', () => {
    expect(() => createStore('memory://?maxx=5')).toThrow(
      'memory:// has an unknown parameter "maxx" (did you mean "max"?); known: max, maxSizeBytes, sweepIntervalMs',
    );
    expect(() => createStore('memory://?max=lots')).toThrow(/parameter max must be a whole number, got "lots"/);
  });
});

describe('principal index', () => {
  it('stays equal to the logged-in sessions held through eviction, expiry, destroy and clear', async () => {
    const store = new MemorySessionStore({ max: 50, sweepIntervalMs: false });
    // 200 logged-in sessions of 20 users through a 50-entry bound: 150 evicted
    for (let i = 0; i < 200; i++) await store.set(`evicted-${i}`, { userId: `u${i % 20}` }, { ttlMs: 60_000 });
    expect(store.size).toBe(50);
    expect(store.indexedSessions).toBe(50);
    let listed = 0;
    for (let u = 0; u < 20; u++) for await (const _ of store.idsByPrincipal(`u${u}`)) listed++;
    expect(listed).toBe(50);
    // short-lived logged-in sessions leave the index once the expiry is found
    await store.clear();
    expect(store.indexedSessions).toBe(0);
    for (let i = 0; i < 30; i++) await store.set(`short-${i}`, { userId: 'ann' }, { ttlMs: 200 });
    for (let i = 0; i < 10; i++) await store.set(`long-${i}`, { passport: { user: 'ann' } }, { ttlMs: 60_000 });
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(store.prune()).toBe(30);
    expect(store.indexedSessions).toBe(10);
    expect(await store.destroyByPrincipal('ann')).toBe(10);
    expect(store.indexedSessions).toBe(0);
    expect(store.size).toBe(0);
  });

  it('1,000 sessions of one user among 100,000: destroyByPrincipal removes exactly them', async () => {
    const store = new MemorySessionStore({ max: 200_000, sweepIntervalMs: false });
    for (let i = 0; i < 100_000; i++) {
      await store.set(`many-${i}`, i % 100 === 0 ? { userId: 'heavy' } : { userId: `user-${i}` }, { ttlMs: 60_000 });
    }
    expect(await store.destroyByPrincipal('heavy')).toBe(1000);
    expect(await store.length()).toBe(99_000);
    expect(await store.get('many-100')).toBeNull();
    expect(await store.get('many-101')).toEqual({ userId: 'user-101' });
  }, 60_000);
});

describe('lifecycle events', () => {
  const events = (store: MemorySessionStore) => {
    const seen: string[] = [];
    for (const name of ['created', 'destroyed', 'expired'] as const) {
      store.on(name, (...args: unknown[]) => {
        const { sid, principal } = args[0] as { sid: string; principal?: string };
        seen.push(`${name} ${sid}${principal === undefined ? '' : ` ${principal}`}`);
      });
    }
    return seen;
  };

  it('an eviction under the bound is a destroyed event with the principal', async () => {
    const store = new MemorySessionStore({ max: 2, sweepIntervalMs: false });
    const seen = events(store);
    await store.set('first', { userId: 'ann' }, { ttlMs: 60_000 });
    await store.set('second', { cart: [] }, { ttlMs: 60_000 });
    await store.set('third', { cart: [] }, { ttlMs: 60_000 }); // evicts the anonymous 'second'
    await store.set('fourth', { cart: [] }, { ttlMs: 60_000 }); // evicts the anonymous 'third'
    // the eviction happens inside the write that makes room, so it is reported first
    expect(seen).toEqual([
      'created first ann',
      'created second',
      'destroyed second',
      'created third',
      'destroyed third',
      'created fourth',
    ]);
  });

  it('the sweep emits expired once for a session nobody reads again; later reads emit nothing more', async () => {
    const store = new MemorySessionStore({ sweepIntervalMs: 100 });
    try {
      const seen = events(store);
      await store.set('swept', { userId: 'bo' }, { ttlMs: 50 });
      const deadline = Date.now() + 10_000;
      while (!seen.includes('expired swept bo') && Date.now() < deadline)
        await new Promise((resolve) => setTimeout(resolve, 20));
      expect(await store.get('swept')).toBeNull();
      store.prune();
      expect(seen).toEqual(['created swept bo', 'expired swept bo']);
      expect(store.indexedSessions).toBe(0);
    } finally {
      await store.close();
    }
  });

  it('a listener that throws is reported as an error event; the write succeeds', async () => {
    const store = new MemorySessionStore({ sweepIntervalMs: false });
    const errors: unknown[] = [];
    store.on('error', (err) => errors.push(err));
    store.on('created', () => {
      throw new Error('listener bug');
    });
    await store.set('listened', { a: 1 }, { ttlMs: 60_000 });
    expect(await store.get('listened')).toEqual({ a: 1 });
    expect(String(errors[0])).toMatch(/listener bug/);
  });

  it('a listener may call back into the store while an eviction is reported', async () => {
    const store = new MemorySessionStore({ max: 1, sweepIntervalMs: false });
    const reads: unknown[] = [];
    store.on('destroyed', (...args: unknown[]) => {
      const { sid } = args[0] as { sid: string };
      void store.get(sid).then((data) => reads.push(data));
      void store.set('written-from-listener', { from: sid }, { ttlMs: 60_000 });
    });
    await store.set('one', { a: 1 }, { ttlMs: 60_000 });
    await store.set('two', { a: 2 }, { ttlMs: 60_000 });
    await new Promise((resolve) => setImmediate(resolve));
    // 'one' is evicted by 'two', which is evicted by the listener's own write
    expect(reads).toEqual([null, null]);
    expect(store.size).toBe(1);
    expect(await store.get('written-from-listener')).toEqual({ from: 'two' });
  });
});

describe('entries()', () => {
  it('yields each live session with its absolute expiry; a list of sids yields only those held', async () => {
    const store = new MemorySessionStore({ sweepIntervalMs: false });
    const before = Date.now();
    await store.set('entry-a', { userId: 'ann' }, { ttlMs: 60_000 });
    await store.set('entry-b', { cart: [] }, { ttlMs: 120_000 });
    const after = Date.now();
    const all = [];
    for await (const entry of store.entries()) all.push(entry);
    expect(all.map((e) => e.sid).sort()).toEqual(['entry-a', 'entry-b']);
    const a = all.find((e) => e.sid === 'entry-a')!;
    expect(a.data).toEqual({ userId: 'ann' });
    expect(a.expiresAt).toBeGreaterThanOrEqual(before + 60_000);
    expect(a.expiresAt).toBeLessThanOrEqual(after + 60_000);
    const some = [];
    for await (const entry of store.entries(['entry-b', 'absent-sid'])) some.push(entry.sid);
    expect(some).toEqual(['entry-b']);
    await expect(
      (async () => {
        for await (const _ of store.entries(['bad\nsid'])) void _;
      })(),
    ).rejects.toMatchObject({ code: 'ERR_SESSION_ID_INVALID' });
  });
});

describe('patch', () => {
  it('splices the change into the stored session: key order, other keys and escapes kept; limits checked on the result', async () => {
    const store = new MemorySessionStore({ maxSessionBytes: 200, maxSessionKeys: 3 });
    await store.set('patch-a', { first: 1, 'a "b"': 'x\\y', cart: ['tea'] }, { ttlMs: 60_000 });
    await store.patch(
      'patch-a',
      { set: { cart: ['tea', 'pen'], when: new Date('2026-01-02T00:00:00.000Z') }, unset: ['first'] },
      { ttlMs: 60_000 },
    );
    const data = await store.get('patch-a');
    expect(data).toEqual({ 'a "b"': 'x\\y', cart: ['tea', 'pen'], when: '2026-01-02T00:00:00.000Z' });
    expect(Object.keys(data!)).toEqual(['a "b"', 'cart', 'when']);
    await expect(store.patch('patch-a', { set: { fourth: 4 }, unset: [] }, { ttlMs: 60_000 })).rejects.toMatchObject({
      code: 'ERR_SESSION_ENCODE',
    });
    await expect(
      store.patch('patch-a', { set: { cart: 'x'.repeat(150) }, unset: [] }, { ttlMs: 60_000 }),
    ).rejects.toMatchObject({
      code: 'ERR_SESSION_TOO_LARGE',
    });
    expect(await store.get('patch-a')).toEqual(data);
  });

  it('files the session under the principal of the merged session, also with a principal function of your own', async () => {
    const store = new MemorySessionStore({ principal: (data) => (data['account'] as { id?: string } | undefined)?.id });
    await store.set('patch-p', { cart: [] }, { ttlMs: 60_000 });
    await store.patch('patch-p', { set: { account: { id: 'ann' } }, unset: [] }, { ttlMs: 60_000 });
    await store.patch('patch-p', { set: { cart: ['tea'] }, unset: [] }, { ttlMs: 60_000 });
    const ids = async (who: string) => {
      const found: string[] = [];
      for await (const sid of store.idsByPrincipal(who)) found.push(sid);
      return found;
    };
    expect(await ids('ann')).toEqual(['patch-p']);
    await store.patch('patch-p', { set: {}, unset: ['account'] }, { ttlMs: 60_000 });
    expect(await ids('ann')).toEqual([]);
  });
});
