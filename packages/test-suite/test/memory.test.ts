import { MemorySessionStore } from '@sessionkit/memory';
import { it } from 'vitest';
import { runConformanceSuite } from '../src/index.js';

// The suite checks itself against the memory store. The memory store keeps text it encoded
// itself, so there are no raw bytes to corrupt, and no backend to stop for the outage group.
let current: MemorySessionStore | undefined;
runConformanceSuite({
  it,
  createStore: (options) => (current = new MemorySessionStore(options)),
  probe: {
    storedTtlMs: async (sid) => current?.remainingTtlMs(sid) ?? null,
    reclaim: async () => void current?.prune(),
  },
});
