import { MemorySessionStore } from '@sessionkit/memory';
import { describe, expect, it } from 'vitest';
import { ExpressSessionStore, type FailMode } from '../src/index.js';

function watch(failMode: FailMode) {
  const store = new MemorySessionStore();
  const adapter = new ExpressSessionStore(store, { failMode, probeIntervalMs: 60_000 });
  const events: string[] = [];
  adapter.on('connect', () => events.push('connect'));
  adapter.on('disconnect', () => events.push('disconnect'));
  return { store, adapter, events };
}

describe("the store's connect/disconnect events", () => {
  it("failMode 'open' forwards them once per change, so express-session's storeReady follows the store", () => {
    const { store, adapter, events } = watch('open');
    store.emit('disconnect');
    store.emit('disconnect');
    expect(adapter.available).toBe(false);
    store.emit('connect');
    store.emit('connect');
    expect(adapter.available).toBe(true);
    expect(events).toEqual(['disconnect', 'connect']);
  });

  it("failMode 'closed' does not forward 'disconnect' (express-session would then serve requests without a session) and answers 503", async () => {
    const { store, adapter, events } = watch('closed');
    store.emit('disconnect');
    expect(events).toEqual([]);
    const failure = await new Promise((resolve) => adapter.get('somesessionid123', (err) => resolve(err)));
    expect(failure).toMatchObject({ code: 'ERR_STORE_UNAVAILABLE', status: 503 });
    store.emit('connect');
    expect(await adapter.get('somesessionid123')).toBeNull();
  });
});
