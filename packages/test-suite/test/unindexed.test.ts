import type { GroupName } from '../src/index.js';
import { MemorySessionStore } from '@sessionkit/memory';
import { it } from 'vitest';
import { runConformanceSuite } from '../src/index.js';

/**
 * The memory store with its index switched off: idsByPrincipal / destroyByPrincipal fall back to
 * AbstractSessionStore's walk over every session, the path Redis, SQL and cluster stores take
 * until they keep an index of their own. The principal group must pass on it too.
 */
class UnindexedMemoryStore extends MemorySessionStore {
  protected override principalIds(): undefined {
    return undefined;
  }
  protected override removeByPrincipal(): undefined {
    return undefined;
  }
}

const ONLY_PRINCIPAL = Object.fromEntries(
  (
    [
      'basic',
      'expiry',
      'touch',
      'patch',
      'concurrency',
      'destroy',
      'ids',
      'bad-input',
      'values',
      'events',
      'outage',
    ] as GroupName[]
  ).map((g) => [g, 'runs in memory.test.ts']),
);

let current: UnindexedMemoryStore | undefined;
runConformanceSuite({
  it,
  createStore: (options) => (current = new UnindexedMemoryStore(options)),
  probe: {
    storedTtlMs: async (sid) => current?.remainingTtlMs(sid) ?? null,
    reclaim: async () => void current?.prune(),
  },
  skip: ONLY_PRINCIPAL,
});
