import { StoreUnavailableError } from './errors.js';

/** Default `operationTimeoutMs`. */
export const DEFAULT_OPERATION_TIMEOUT_MS = 2000;

/** Who a bounded call belongs to: names it in a timeout and maps its backend errors. */
export interface CallOwner {
  /** E.g. `'redis get'`: the store and the operation, for the timeout message. */
  describeCall(operation: string): string;
  /** The error a rejection of the backend call becomes. */
  mapCallError(err: unknown, operation: string): unknown;
  /** Told how each call ended, before its caller is: `undefined` on success, else the error it rejects with. */
  callSettled?(err: unknown): void;
}

/**
 * Settles with `work`, or rejects with `StoreUnavailableError` after `timeoutMs` ms. The timer is
 * unref'd and cleared, so it neither keeps the process alive nor outlives the call. A late result
 * of `work` is ignored (its rejection is handled, so it cannot become unhandled).
 */
export function withTimeout<T>(work: Promise<T>, timeoutMs: number, what: string): Promise<T> {
  return settleWithin(work, timeoutMs, { describeCall: () => what, mapCallError: (err) => err }, what);
}

/**
 * {@link withTimeout} for store calls, the hot path of every store call: the description is built
 * only on a timeout and errors go through `owner`, so a call allocates one promise and one timer
 * and no closures of the store's. One timer per call, created after the backend call started: a
 * backend's own timer of the same length (a Redis client's wait for its connection) fires first
 * and cleans up before the call is rejected. (One deadline list for all calls was tried: its
 * sweep could not keep that order against Node's millisecond timer clock, and it saved about
 * 130 ns per call; the memory store, whose calls finish in their own turn, has no timer at all.)
 */
export function settleWithin<T>(work: Promise<T>, timeoutMs: number, owner: CallOwner, operation: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const fail = (err: unknown) => {
      owner.callSettled?.(err);
      reject(err);
    };
    const timer = setTimeout(
      () =>
        fail(
          new StoreUnavailableError(
            `${owner.describeCall(operation)} did not settle within ${timeoutMs} ms (operationTimeoutMs); is the backend reachable?`,
          ),
        ),
      timeoutMs,
    );
    timer.unref();
    work.then(
      (value) => {
        clearTimeout(timer);
        owner.callSettled?.(undefined);
        resolve(value);
      },
      (err: unknown) => {
        clearTimeout(timer);
        fail(owner.mapCallError(err, operation));
      },
    );
  });
}
