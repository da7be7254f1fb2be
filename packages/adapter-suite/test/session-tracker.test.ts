import {
  cookieExpiry,
  LoadedSession,
  SessionTracker,
  type SessionChange,
  type SessionData,
  type WriteOptions,
} from '@sessionkit/core';
import { MemorySessionStore } from '@sessionkit/memory';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CountingStore } from '../src/counting-store.js';
import { HttpSessionStore, SessionServer } from '../src/outage-store.js';

/** A real memory store that records the changes `patch` receives. */
class RecordingStore extends MemorySessionStore {
  readonly patches: SessionChange[] = [];
  override patch(sid: string, change: SessionChange, options: WriteOptions): Promise<void> {
    this.patches.push(change);
    return super.patch(sid, change, options);
  }
}

const quiet = { warn: () => {} };
const cookie = (refreshedAt: number) => ({
  originalMaxAge: 600_000,
  expires: new Date(refreshedAt + 600_000).toISOString(),
  path: '/',
});

describe('SessionTracker (the core under every adapter) on a real store', () => {
  it('saves only the keys a request changed or removed, diffed against the stored form it loaded', async () => {
    const store = new RecordingStore();
    const tracker = new SessionTracker(store, { logger: quiet });
    await store.set('tracker-sid-0001', { user: 'alice', cart: ['tea'], theme: 'dark' }, { ttlMs: 60_000 });
    const load = await tracker.load('tracker-sid-0001');
    const session = { ...load.data! };
    (session['cart'] as string[]).push('pen'); // mutated in place: still found by the diff
    delete session['theme'];
    expect(await tracker.save('tracker-sid-0001', session, { ttlMs: 60_000, load })).toMatchObject({ write: 'patch' });
    expect(store.patches).toEqual([{ set: { cart: ['tea', 'pen'] }, unset: ['theme'] }]);
    // A second save in the same request diffs against the first.
    expect(await tracker.save('tracker-sid-0001', session, { ttlMs: 60_000, load })).toMatchObject({ write: 'none' });
  });

  it('an expiry-only save writes nothing while the stored expiry is fresh, and only the cookie once it is older than touchAfterMs', async () => {
    const store = new RecordingStore();
    const tracker = new SessionTracker(store, { expiry: cookieExpiry(), touchAfterMs: 1000, logger: quiet });
    const now = Date.now();
    await store.set('tracker-sid-0002', { cookie: cookie(now), user: 'alice' }, { ttlMs: 60_000 });
    const fresh = await tracker.load('tracker-sid-0002');
    expect(
      await tracker.save(
        'tracker-sid-0002',
        { cookie: cookie(now + 50), user: 'alice' },
        { ttlMs: 60_000, load: fresh },
      ),
    ).toMatchObject({ write: 'none' });
    await store.set('tracker-sid-0003', { cookie: cookie(now - 5000), user: 'alice' }, { ttlMs: 60_000 });
    const stale = await tracker.load('tracker-sid-0003');
    expect(
      await tracker.save('tracker-sid-0003', { cookie: cookie(now), user: 'alice' }, { ttlMs: 60_000, load: stale }),
    ).toMatchObject({ write: 'patch' });
    expect(store.patches).toEqual([{ set: { cookie: cookie(now) }, unset: [] }]);
  });

  it("a client's bad data is refused with 400 and never marks the store down", async () => {
    const tracker = new SessionTracker(new MemorySessionStore(), { logger: quiet });
    await expect(tracker.save('tracker-sid-0004', { n: 10n }, { ttlMs: 60_000 })).rejects.toMatchObject({
      code: 'ERR_SESSION_ENCODE',
      status: 400,
    });
    const malformed = 'x'.repeat(300); // not a sid under any version of the rules
    await expect(tracker.save(malformed, { n: 1 }, { ttlMs: 60_000 })).rejects.toMatchObject({
      code: 'ERR_SESSION_ID_INVALID',
      status: 400,
    });
    expect(tracker.available).toBe(true);
    expect((await tracker.load(malformed)).data).toBeNull();
  });

  it('a carried load survives a shallow copy and has no JSON form', async () => {
    const store = new MemorySessionStore();
    const tracker = new SessionTracker(store, { logger: quiet });
    await store.set('tracker-sid-0005', { user: 'alice' }, { ttlMs: 60_000 });
    const load = await tracker.load('tracker-sid-0005');
    const carried = load.carry({ ...load.data }) as SessionData;
    expect(LoadedSession.carriedBy({ ...carried })).toBe(load);
    expect(JSON.parse(JSON.stringify(carried))).toEqual({ user: 'alice' });
  });
});

describe('SessionTracker with the store down (a real session server in a child process)', () => {
  const server = new SessionServer();
  beforeAll(async () => {
    await server.start();
  });
  afterAll(async () => {
    await server.stop();
  });

  it("fails fast once down: failMode 'closed' rejects with 503, 'open' gives a degraded empty session, neither calls the store again until it is back", async () => {
    const counting = new CountingStore(new HttpSessionStore(server.url, { operationTimeoutMs: 1500 }));
    const closed = new SessionTracker(counting, { failMode: 'closed', probeIntervalMs: 60_000, logger: quiet });
    const open = new SessionTracker(counting, { failMode: 'open', probeIntervalMs: 60_000, logger: quiet });
    server.pause();
    try {
      await expect(closed.load('tracker-sid-0006')).rejects.toMatchObject({
        code: 'ERR_STORE_UNAVAILABLE',
        status: 503,
      });
      const degraded = await open.load('tracker-sid-0006');
      expect(degraded).toMatchObject({ degraded: true, data: {} });
      counting.reset();
      await expect(closed.load('tracker-sid-0006')).rejects.toMatchObject({ status: 503 });
      expect((await open.load('tracker-sid-0006')).degraded).toBe(true);
      expect(counting.calls).toEqual([]);
      // After a degraded load only a real change is written: an expiry-only save writes nothing.
      expect(await open.save('tracker-sid-0006', {}, { ttlMs: 60_000, load: degraded })).toMatchObject({
        write: 'none',
      });
      expect(counting.calls).toEqual([]);
    } finally {
      server.resume();
    }
  });
});
