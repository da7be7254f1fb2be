/** Node-style callback as express-session passes it. */
export type Callback<T> = (err: unknown, value?: T) => void;

/**
 * Returns `work` when no callback is given; otherwise hands its outcome to `callback` and returns
 * nothing. The callback runs on `process.nextTick`, outside the promise chain, so an exception it
 * throws surfaces as it would from any callback API instead of becoming an unhandled rejection.
 */
export function settle<T>(work: Promise<T>, callback: Callback<T> | undefined): Promise<T> | undefined {
  if (!callback) return work;
  work.then(
    (value) => process.nextTick(callback, null, value),
    (err: unknown) => process.nextTick(callback, err),
  );
  return undefined;
}
