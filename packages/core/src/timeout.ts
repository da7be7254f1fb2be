import { StoreUnavailableError } from './errors.js';

/** Default `operationTimeoutMs`. */
export const DEFAULT_OPERATION_TIMEOUT_MS = 2000;

/**
 * Settles with `work`, or rejects with `StoreUnavailableError` after `timeoutMs` ms. The timer is
 * unref'd and cleared, so it neither keeps the process alive nor outlives the call. A late result
 * of `work` is ignored (its rejection is handled, so it cannot become unhandled).
 */
export function withTimeout<T>(work: Promise<T>, timeoutMs: number, what: string): Promise<T> {
  return settleWithin(
    work,
    timeoutMs,
    () => what,
    (err) => err,
  );
}

/**
 * {@link withTimeout} with the description built only when needed and rejections passed through
 * `mapError`: the hot path of every store call, so it allocates one promise and one timer.
 */
export function settleWithin<T>(
  work: Promise<T>,
  timeoutMs: number,
  describe: () => string,
  mapError: (err: unknown) => unknown,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(
      () =>
        reject(
          new StoreUnavailableError(
            `${describe()} did not settle within ${timeoutMs} ms (operationTimeoutMs); is the backend reachable?`,
          ),
        ),
      timeoutMs,
    );
    timer.unref();
    work.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (err: unknown) => {
        clearTimeout(timer);
        reject(mapError(err));
      },
    );
  });
}
