import { isSessionStoreError } from './errors.js';
import { assertSessionId } from './sid.js';
import type { SessionData, SessionEntry } from './types.js';

/**
 * The walks behind `AbstractSessionStore`'s default `idsByPrincipal`, `destroyByPrincipal` and
 * `entries`, and the step bound of its iterators. Each takes the store calls it needs as
 * functions, so the store's private state stays in the store.
 */

/** Sessions read at once by the default `idsByPrincipal`, `destroyByPrincipal` and `entries` walks. */
const WALK_BATCH = 64;

/**
 * Walks `iterable` with each step passed through `run` (the store's `operationTimeoutMs` bound).
 * The inner iterator is closed when the caller stops early, but not after a failed step (its
 * pending call may never settle).
 */
export async function* boundedSteps<T>(
  iterable: AsyncIterable<T>,
  run: (step: Promise<IteratorResult<T>>) => Promise<IteratorResult<T>>,
): AsyncGenerator<T> {
  const iterator = iterable[Symbol.asyncIterator]();
  let open = true;
  try {
    for (;;) {
      let step: IteratorResult<T>;
      try {
        step = await run(iterator.next());
      } catch (err) {
        open = false;
        throw err;
      }
      if (step.done) {
        open = false;
        return;
      }
      yield step.value;
    }
  } finally {
    if (open) await iterator.return?.();
  }
}

/**
 * The sids of `ids` whose session's principal (by `principalOf`) is `principal`, reading the
 * sessions 64 at a time with `get`. Sessions that do not decode are skipped; a sid is yielded once.
 */
export async function* walkPrincipalIds(
  ids: AsyncIterable<string>,
  principal: string,
  get: (sid: string) => Promise<SessionData | null>,
  principalOf: (data: SessionData) => string | undefined,
): AsyncGenerator<string> {
  const seen = new Set<string>();
  for await (const batch of inBatches(ids, WALK_BATCH)) {
    const sessions = await Promise.all(batch.map((sid) => get(sid).catch(skipUndecodable)));
    for (let i = 0; i < batch.length; i++) {
      const sid = batch[i] as string;
      const data = sessions[i];
      if (data && !seen.has(sid) && principalOf(data) === principal) {
        seen.add(sid);
        yield sid;
      }
    }
  }
}

/** Collects every sid of `sids`, then destroys them 64 at a time; resolves to how many. */
export async function destroyEach(
  sids: AsyncIterable<string>,
  destroy: (sid: string) => Promise<void>,
): Promise<number> {
  const all: string[] = [];
  for await (const sid of sids) all.push(sid);
  for (let i = 0; i < all.length; i += WALK_BATCH) {
    await Promise.all(all.slice(i, i + WALK_BATCH).map((sid) => destroy(sid)));
  }
  return all.length;
}

/**
 * The entries of `sids`, read 64 at a time with `readEntry`; absent ones are left out. A session
 * that does not decode is passed to `undecodable` and skipped; any other error stops the walk.
 * @throws InvalidSessionIdError (before its batch is read) for an invalid sid.
 */
export async function* walkEntries(
  sids: Iterable<string> | AsyncIterable<string>,
  readEntry: (sid: string) => Promise<SessionEntry | null>,
  undecodable: (err: unknown) => void,
): AsyncGenerator<SessionEntry> {
  for await (const batch of inBatches(sids, WALK_BATCH)) {
    for (const sid of batch) assertSessionId(sid);
    const entries = await Promise.all(
      batch.map((sid) =>
        readEntry(sid).catch((err: unknown) => {
          if (!isSessionStoreError(err, 'ERR_SESSION_DECODE')) throw err;
          undecodable(err);
          return null;
        }),
      ),
    );
    for (const entry of entries) if (entry) yield entry;
  }
}

/** Groups `iterable` into arrays of up to `size` items. */
async function* inBatches<T>(iterable: Iterable<T> | AsyncIterable<T>, size: number): AsyncGenerator<T[]> {
  let batch: T[] = [];
  for await (const item of iterable) {
    batch.push(item);
    if (batch.length === size) {
      yield batch;
      batch = [];
    }
  }
  if (batch.length) yield batch;
}

/** A session that does not decode counts as absent in a walk; any other error stops it. */
function skipUndecodable(err: unknown): null {
  if (isSessionStoreError(err, 'ERR_SESSION_DECODE')) return null;
  throw err;
}
