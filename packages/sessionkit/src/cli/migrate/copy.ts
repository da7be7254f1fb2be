import { isSessionStoreError, type SessionStore } from '@sessionkit/core';
import { expiryOf } from '../expiry.js';
import type { Progress } from './progress.js';
import type { MigrationSource, SourceRow } from './source.js';
import { saveState, type MigrationState } from './state.js';

/**
 * Lifetime a copy gives up, in ms: the target computes the expiry from its own clock a moment after
 * the copier computed the TTL, so without it a session could end a few ms later than in the source.
 */
export const EXPIRY_MARGIN_MS = 1000;
/** Reasons kept in the state file and the summary. */
const KEPT_REASONS = 20;

export interface CopyOptions {
  batchSize: number;
  /** Writes (and read-backs) in flight at once. */
  concurrency: number;
  /** Read and count only; write nothing, save no state. */
  dryRun: boolean;
  /** Read each copied session back from the target. */
  verify: boolean;
  /** TTL in ms for sessions whose expiry neither the source nor `cookie.expires` tells. */
  defaultTtlMs: number;
  /** Stop after this many rows read in this run (resumable). */
  maxRows?: number;
  /** Where the state is saved after each batch; `undefined` saves nothing. */
  statePath?: string;
  /** Set by the Ctrl-C handler: stop after the batch in progress. */
  interrupted(): boolean;
  progress: Progress;
}

/** How a copy run ended. */
export type CopyOutcome = 'done' | 'paused' | 'interrupted';

/**
 * Copies the source's sessions into `target` batch by batch: each with its remaining TTL (less
 * {@link EXPIRY_MARGIN_MS}), rows that do not decode or that the target refuses skipped and
 * counted, every copy read back when `verify`. After each batch the counts and the source cursor
 * are saved, so a stopped run resumes after the last finished batch. Store outages reject (the
 * state is as of the last finished batch).
 */
export async function copySessions(
  source: MigrationSource,
  target: SessionStore | undefined,
  state: MigrationState,
  options: CopyOptions,
  copiedExpiries: number[],
): Promise<CopyOutcome> {
  const seen = new Set<string>();
  let readThisRun = 0;
  for await (const batch of source.batches(state.cursor, options.batchSize)) {
    const writes: { row: SourceRow & { data: NonNullable<SourceRow['data']> }; expiresAt: number }[] = [];
    for (const row of batch.rows) {
      if (seen.has(row.sid)) continue; // SCAN may return a key twice
      seen.add(row.sid);
      state.counts.read++;
      readThisRun++;
      if (row.problem !== undefined || row.data === null) {
        state.counts.undecodable++;
        skip(state, row.sid, row.problem ?? 'does not decode');
        continue;
      }
      const { expiresAt, source: from } = expiryOf({ data: row.data, expiresAt: row.expiresAt });
      if (from !== 'store') state.counts.estimatedTtl++;
      const at = expiresAt ?? Date.now() + options.defaultTtlMs;
      if (at - Date.now() <= EXPIRY_MARGIN_MS) {
        state.counts.expired++;
        continue;
      }
      writes.push({ row: row as SourceRow & { data: NonNullable<SourceRow['data']> }, expiresAt: at });
    }
    if (target && !options.dryRun) {
      const written = await inParallel(writes, options.concurrency, async ({ row, expiresAt }) => {
        const ttlMs = expiresAt - Date.now() - EXPIRY_MARGIN_MS;
        if (ttlMs <= 0) {
          state.counts.expired++;
          return false;
        }
        try {
          await target.set(row.sid, row.data, { ttlMs });
        } catch (err) {
          if (
            !isSessionStoreError(err) ||
            isSessionStoreError(err, 'ERR_STORE_UNAVAILABLE') ||
            isSessionStoreError(err, 'ERR_STORE_OPERATION')
          )
            throw err;
          state.counts.refused++;
          skip(state, row.sid, `the target refused it: ${(err as Error).message}`);
          return false;
        }
        state.counts.copied++;
        copiedExpiries.push(expiresAt - EXPIRY_MARGIN_MS);
        return true;
      });
      if (options.verify) {
        const copied = writes.filter((_, i) => written[i]);
        await inParallel(copied, options.concurrency, async ({ row, expiresAt }) => {
          if ((await target.get(row.sid)) !== null || expiresAt - EXPIRY_MARGIN_MS <= Date.now()) return;
          state.counts.missing++;
          skip(state, row.sid, 'not found in the target when read back');
        });
      }
    } else {
      state.counts.copied += writes.length;
    }
    state.cursor = batch.cursor;
    if (options.statePath && !options.dryRun) saveState(options.statePath, state);
    options.progress.update(state.counts);
    if (options.interrupted()) return 'interrupted';
    if (options.maxRows !== undefined && readThisRun >= options.maxRows) return 'paused';
  }
  return 'done';
}

function skip(state: MigrationState, sid: string, reason: string): void {
  if (state.skipped.length < KEPT_REASONS) state.skipped.push({ sid, reason });
}

/** Runs `work` over `items` with at most `limit` in flight; resolves to the results in order. */
async function inParallel<T, R>(items: T[], limit: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await work(items[i] as T);
    }
  });
  await Promise.all(workers);
  return results;
}
