import { sampleSession } from './backend-config.js';
import type { StoreOps } from './open-store.js';

export type Operation = 'set' | 'get' | 'patch' | 'touch';

/** Operations in the order they are measured: `set` first, so the others find sessions. */
export const OPERATIONS: readonly Operation[] = ['set', 'get', 'patch', 'touch'];

export interface OpsArgs {
  durationMs: number;
  concurrency: number;
  sessions: number;
}

export interface OpsResult {
  /** Operations per second for each operation the store has (no `patch` on their stores). */
  opsPerSecond: Partial<Record<Operation, number>>;
  errors: number;
}

/**
 * Store-level benchmark: for each operation, `concurrency` loops call it back to back on
 * `sessions` distinct sids for `durationMs`, and completed calls per second are counted.
 */
export async function runOperations(ops: StoreOps, args: OpsArgs): Promise<OpsResult> {
  const tag = Math.random().toString(36).slice(2, 10);
  const sids = Array.from({ length: args.sessions }, (_, index) => `bench-ops-${tag}-${index}`);
  const sessions = sids.map((_, index) => sampleSession(index));
  const calls: Record<Operation, ((index: number) => Promise<unknown>) | undefined> = {
    set: (index) => ops.set(sids[index]!, sessions[index]!),
    get: (index) => ops.get(sids[index]!),
    patch: ops.patch && ((index) => ops.patch!(sids[index]!, { cart: { [`sku-${index % 8}`]: index } })),
    touch: (index) => ops.touch(sids[index]!, sessions[index]!),
  };
  // Every session exists before the clock starts for any operation.
  for (let index = 0; index < sids.length; index += 1) await calls.set!(index);

  const result: OpsResult = { opsPerSecond: {}, errors: 0 };
  for (const operation of OPERATIONS) {
    const call = calls[operation];
    if (!call) continue;
    let next = 0;
    let done = 0;
    const started = performance.now();
    const deadline = started + args.durationMs;
    const loop = async () => {
      while (performance.now() < deadline) {
        const index = next++ % sids.length;
        try {
          await call(index);
          done += 1;
        } catch {
          result.errors += 1;
        }
      }
    };
    await Promise.all(Array.from({ length: args.concurrency }, loop));
    result.opsPerSecond[operation] = done / ((performance.now() - started) / 1000);
  }
  return result;
}
