import type { SessionChange } from '@sessionkit/core';

/** One `patch` waiting to be merged. */
export interface PendingPatch {
  change: SessionChange;
  expiresAt: number;
  now: number;
  maxBytes: number;
}

/**
 * Runs the patches of one sid one batch at a time: while a batch is being written, newer patches
 * of that sid wait and then go together as the next batch, applied in arrival order (so the later
 * write of a key wins). A read-merge-write store thus never races itself, and N concurrent patches
 * of a session cost a few round trips rather than N. When a batch as a whole is refused for its
 * data (too large, refused by the database), its patches are tried one by one, so each gets its
 * own answer; any other failure is every patch's answer.
 */
export class MergeQueue {
  readonly #waiting = new Map<string, { patch: PendingPatch; resolve: () => void; reject: (err: unknown) => void }[]>();
  readonly #busy = new Set<string>();

  /**
   * @param apply writes the patches, in order, as one change of `sid`.
   * @param refusedData true for an error that says the batch's data was refused.
   */
  constructor(
    readonly apply: (sid: string, patches: PendingPatch[]) => Promise<void>,
    readonly refusedData: (err: unknown) => boolean,
  ) {}

  merge(sid: string, patch: PendingPatch): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      let waiting = this.#waiting.get(sid);
      if (waiting === undefined) this.#waiting.set(sid, (waiting = []));
      waiting.push({ patch, resolve, reject });
      if (!this.#busy.has(sid)) void this.#drain(sid);
    });
  }

  async #drain(sid: string): Promise<void> {
    this.#busy.add(sid);
    try {
      for (let batch = this.#waiting.get(sid); batch?.length; batch = this.#waiting.get(sid)) {
        this.#waiting.set(sid, []);
        try {
          await this.apply(
            sid,
            batch.map((entry) => entry.patch),
          );
          for (const entry of batch) entry.resolve();
        } catch (err) {
          if (batch.length === 1 || !this.refusedData(err)) {
            for (const entry of batch) entry.reject(err);
            continue;
          }
          for (const entry of batch) {
            await this.apply(sid, [entry.patch]).then(entry.resolve, entry.reject);
          }
        }
      }
    } finally {
      this.#waiting.delete(sid);
      this.#busy.delete(sid);
    }
  }
}
