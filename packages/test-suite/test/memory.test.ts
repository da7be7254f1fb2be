import { MemorySessionStore } from '@sessionkit/memory';
import { it } from 'vitest';
import { runConformanceSuite } from '../src/index.js';

// The suite checks itself against the memory store. The memory store keeps text it encoded
// itself, so there are no raw bytes to corrupt, and no backend to stop for the outage group; it
// is single-process, so there is no second instance (createPeer) either.
let current: MemorySessionStore | undefined;
runConformanceSuite({
  it,
  createStore: (options) => (current = new MemorySessionStore(options)),
  events: { created: true, destroyed: true, expired: true },
  probe: {
    storedTtlMs: async (sid) => current?.remainingTtlMs(sid) ?? null,
    reclaim: async () => void current?.prune(),
  },
});
