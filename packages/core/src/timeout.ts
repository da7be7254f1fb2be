import { StoreUnavailableError, isSessionStoreError } from './errors.js';

/** Default `operationTimeoutMs`. */
export const DEFAULT_OPERATION_TIMEOUT_MS = 2000;

/**
 * Settles with `work`, or rejects with `StoreUnavailableError` after `timeoutMs` ms. The timer is
 * unref'd and cleared, so it neither keeps the process alive nor outlives the call. A late result
 * of `work` is ignored (its rejection is swallowed so it cannot become unhandled).
 */
export function withTimeout<T>(work: Promise<T>, timeoutMs: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new StoreUnavailableError(`${what} did not settle within ${timeoutMs} ms (operationTimeoutMs); is the backend reachable?`)),
      timeoutMs,
    );
    timer.unref();
  });
  work.catch(() => {});
  return Promise.race([work, expired]).finally(() => clearTimeout(timer));
}

/** Maps a driver error to `StoreUnavailableError`; sessionkit errors pass through unchanged. */
export function toStoreError(err: unknown, what: string): Error {
  if (isSessionStoreError(err)) return err;
  const message = err instanceof Error ? err.message : String(err);
  return new StoreUnavailableError(`${what} failed: ${message}`, { cause: err });
}
