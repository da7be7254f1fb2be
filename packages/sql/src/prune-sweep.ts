import type { Departed, PruneResult } from './dialect.js';

/**
 * Runs `batch` until a batch is not full, reporting each expired session to `onExpired` as its
 * batch returns; resolves to the rows deleted in all.
 */
export async function sweep(
  batch: () => Promise<PruneResult>,
  onExpired: (session: Departed) => void,
): Promise<number> {
  let total = 0;
  for (;;) {
    const result = await batch();
    total += result.deleted;
    for (const session of result.expired) onExpired(session);
    if (!result.more) return total;
  }
}

/**
 * Calls `prune` every `everyMs` on an unref'd timer (it keeps no process alive), skipping a tick
 * while the previous run is still going; a failure goes to `onError`.
 */
export class PruneTimer {
  readonly #timer: NodeJS.Timeout;
  readonly #prune: () => Promise<unknown>;
  readonly #onError: (err: unknown) => void;
  #pruning = false;

  constructor(everyMs: number, prune: () => Promise<unknown>, onError: (err: unknown) => void) {
    this.#prune = prune;
    this.#onError = onError;
    this.#timer = setInterval(() => void this.#run(), everyMs);
    this.#timer.unref();
  }

  stop(): void {
    clearInterval(this.#timer);
  }

  async #run(): Promise<void> {
    if (this.#pruning) return;
    this.#pruning = true;
    try {
      await this.#prune();
    } catch (err) {
      this.#onError(err);
    } finally {
      this.#pruning = false;
    }
  }
}
