import { performance } from 'node:perf_hooks';
import { StoreUnavailableError } from './errors.js';

/** Default `operationTimeoutMs`. */
export const DEFAULT_OPERATION_TIMEOUT_MS = 2000;

/** Who a bounded call belongs to: names it in a timeout and maps its backend errors. */
export interface CallOwner {
  /** E.g. `'redis get'`: the store and the operation, for the timeout message. */
  describeCall(operation: string): string;
  /** The error a rejection of the backend call becomes. */
  mapCallError(err: unknown, operation: string): unknown;
}

/**
 * Settles with `work`, or rejects with `StoreUnavailableError` after `timeoutMs` ms. No timer of
 * its own (see {@link settleWithin}), so it neither keeps the process alive nor outlives the call.
 * A late result of `work` is ignored (its rejection is handled, so it cannot become unhandled).
 */
export function withTimeout<T>(work: Promise<T>, timeoutMs: number, what: string): Promise<T> {
  return settleWithin(work, timeoutMs, { describeCall: () => what, mapCallError: (err) => err }, what);
}

/**
 * {@link withTimeout} for store calls: the hot path of every store call. Instead of a timer per
 * call, each pending call joins the deadline list of its timeout; one unref'd timer per list wakes
 * at the oldest deadline and rejects every call whose deadline passed. Calls of one store share
 * one timeout, so each list is in deadline order and joining or leaving it is O(1). A call is
 * rejected between `timeoutMs` and `timeoutMs` plus the event loop's delay after its deadline, as
 * with `setTimeout`.
 */
export function settleWithin<T>(work: Promise<T>, timeoutMs: number, owner: CallOwner, operation: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const call = deadlineListOf(timeoutMs).add(owner, operation, reject as (err: unknown) => void);
    work.then(
      (value) => {
        if (call.leave()) resolve(value);
      },
      (err: unknown) => {
        if (call.leave()) reject(owner.mapCallError(err, operation));
      },
    );
  });
}

/** One pending call in a {@link DeadlineList}. */
class PendingCall {
  prev: PendingCall | undefined;
  next: PendingCall | undefined;
  /** Set while the call is in its list; cleared when it settles or times out. */
  list: DeadlineList | undefined;

  constructor(
    list: DeadlineList,
    readonly deadline: number,
    readonly owner: CallOwner,
    readonly operation: string,
    readonly reject: (err: unknown) => void,
  ) {
    this.list = list;
  }

  /** Leaves the list; false when the call already timed out (its late outcome is then ignored). */
  leave(): boolean {
    const list = this.list;
    if (!list) return false;
    list.remove(this);
    return true;
  }
}

/** The pending calls of one timeout, oldest first, and the timer that sweeps them. */
class DeadlineList {
  #head: PendingCall | undefined;
  #tail: PendingCall | undefined;
  #timer: NodeJS.Timeout | undefined;

  constructor(readonly timeoutMs: number) {}

  add(owner: CallOwner, operation: string, reject: (err: unknown) => void): PendingCall {
    const call = new PendingCall(this, performance.now() + this.timeoutMs, owner, operation, reject);
    const tail = this.#tail;
    if (tail) {
      tail.next = call;
      call.prev = tail;
    } else {
      this.#head = call;
    }
    this.#tail = call;
    // A timer still armed for an earlier (perhaps settled) call fires first and re-arms.
    this.#timer ??= this.#arm(this.timeoutMs);
    return call;
  }

  remove(call: PendingCall): void {
    const { prev, next } = call;
    if (prev) prev.next = next;
    else this.#head = next;
    if (next) next.prev = prev;
    else this.#tail = prev;
    call.prev = call.next = call.list = undefined;
  }

  #arm(delayMs: number): NodeJS.Timeout {
    const timer = setTimeout(() => this.#sweep(), Math.max(1, Math.ceil(delayMs)));
    timer.unref();
    return timer;
  }

  #sweep(): void {
    this.#timer = undefined;
    const now = performance.now();
    let call = this.#head;
    while (call && call.deadline <= now) {
      const expired = call;
      call = call.next;
      this.remove(expired);
      expired.reject(
        new StoreUnavailableError(
          `${expired.owner.describeCall(expired.operation)} did not settle within ${this.timeoutMs} ms (operationTimeoutMs); is the backend reachable?`,
        ),
      );
    }
    if (this.#head) this.#timer = this.#arm(this.#head.deadline - now);
    else if (deadlineLists.get(this.timeoutMs) === this) deadlineLists.delete(this.timeoutMs);
  }
}

/** The deadline list of each timeout in use (a handful: one per distinct `operationTimeoutMs`). */
const deadlineLists = new Map<number, DeadlineList>();

function deadlineListOf(timeoutMs: number): DeadlineList {
  let list = deadlineLists.get(timeoutMs);
  if (!list) deadlineLists.set(timeoutMs, (list = new DeadlineList(timeoutMs)));
  return list;
}
