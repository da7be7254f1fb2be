// Child process: resident memory of one in-process store as sessions are written through the
// store's own API. Answers the steps over IPC and exits. Run with --expose-gc: every reading is
// taken after full garbage collections, so it measures what the store holds, not garbage.
import { randomBytes } from 'node:crypto';
import { sampleSession, type BackendConfig } from './backend-config.js';
import { runChild } from './ipc.js';
import { openStore } from './open-store.js';
import type { FootprintStep } from './results.js';

export interface FootprintArgs {
  store: string;
  backend: BackendConfig;
  /** Total sessions written at each reading, ascending. */
  steps: number[];
}

const MIB = 1024 * 1024;
const args = JSON.parse(process.env.BENCH_FOOTPRINT ?? '{}') as FootprintArgs;

async function settle(): Promise<NodeJS.MemoryUsage> {
  for (let pass = 0; pass < 3; pass += 1) {
    (globalThis as { gc?: () => void }).gc!();
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return process.memoryUsage();
}

await runChild(async () => {
  const store = await openStore(args.store, args.backend);
  const ops = store.ops!;
  return {
    handlers: {
      measure: async (): Promise<FootprintStep[]> => {
        const base = await settle();
        const steps: FootprintStep[] = [];
        let inserted = 0;
        for (const target of args.steps) {
          // 24 random bytes in base64url: the same 32-character sids express-session makes.
          for (; inserted < target; inserted += 1)
            await ops.set(randomBytes(24).toString('base64url'), sampleSession(inserted));
          const usage = await settle();
          steps.push({
            inserted,
            held: await ops.count(),
            rssMiB: (usage.rss - base.rss) / MIB,
            heapMiB: (usage.heapUsed - base.heapUsed) / MIB,
          });
        }
        return steps;
      },
    },
    close: () => store.close(),
  };
});
