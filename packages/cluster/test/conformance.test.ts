import { runConformanceSuite } from '@sessionkit/test-suite';
import { describe, it } from 'vitest';
import { ReplicatedSessionStore } from '../src/index.js';
import { writeHereReadThere, type WriteHereReadThere } from './support/in-process.js';
import { SECRET, sparePorts } from './support/ports.js';

const NO_BACKEND = 'no external backend to stop; peer outages are covered in cluster.test.ts';

describe('single node, no peers', () => {
  let current: ReplicatedSessionStore | undefined;
  runConformanceSuite({
    it,
    createStore: async (options) => {
      const [port] = await sparePorts(1);
      current = new ReplicatedSessionStore({ ...options, listen: `127.0.0.1:${port}`, secret: SECRET });
      await current.ready();
      return current;
    },
    probe: {
      storedTtlMs: async (sid) => {
        const at = current?.expiresAt(sid) ?? null;
        return at === null ? null : at - Date.now();
      },
      reclaim: async () => void current?.prune(),
    },
    skip: { outage: NO_BACKEND },
  });
});

describe('3-node cluster: writes through node 0, reads through node 1 (ack all)', () => {
  let current: WriteHereReadThere | undefined;
  runConformanceSuite({
    it,
    createStore: async (options) => (current = await writeHereReadThere(options)),
    probe: {
      storedTtlMs: async (sid) => {
        const at = current?.readerExpiresAt(sid) ?? null;
        return at === null ? null : at - Date.now();
      },
      reclaim: async () => current?.prune(),
    },
    skip: { outage: NO_BACKEND },
  });
});
