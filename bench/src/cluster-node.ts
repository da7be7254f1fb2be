// Child process: one node of the replicated cluster store, for the peers of the HTTP benchmark's
// node and for the replication lag measurement. `write` stores a session and answers the
// monotonic clock reading taken just before; `watch` starts polling for a sid and `seen` answers
// the clock reading when it became visible. process.hrtime is CLOCK_MONOTONIC, the same clock in
// every process on the machine, so readings from two nodes can be subtracted.
import { sampleSession, type BackendConfig } from './backend-config.js';
import { runChild } from './ipc.js';
import { openStore } from './open-store.js';

const backend = JSON.parse(process.env.BENCH_NODE ?? '{}') as BackendConfig;

await runChild(async () => {
  const store = await openStore('cluster', backend);
  const ops = store.ops!;
  const watches = new Map<string, Promise<string | null>>();

  /** The clock reading when `sid` became readable here, or `null` when it did not within 5 s. */
  const poll = async (sid: string): Promise<string | null> => {
    const started = Date.now();
    // For the first 5 ms, read again at every turn of the event loop (setImmediate lets the
    // replication socket be read in between); after that every millisecond, so a slow sample
    // does not keep a core busy that the other nodes need on a small machine.
    while ((await ops.get(sid)) === null) {
      const waited = Date.now() - started;
      if (waited > 5000) return null;
      await new Promise((resolve) => (waited < 5 ? setImmediate(resolve) : setTimeout(resolve, 1)));
    }
    return process.hrtime.bigint().toString();
  };

  return {
    handlers: {
      write: async (sid) => {
        const before = process.hrtime.bigint();
        await ops.set(sid as string, sampleSession(0));
        return before.toString();
      },
      watch: (sid) => {
        watches.set(sid as string, poll(sid as string));
        return null;
      },
      seen: async (sid) => {
        const seen = await watches.get(sid as string);
        watches.delete(sid as string);
        return seen;
      },
    },
    close: () => store.close(),
  };
});
