import { EventEmitter } from 'node:events';
import { isSessionStoreError } from './errors.js';
import type { SessionStore } from './types.js';

/** A valid sid that no session uses; reading it is the cheapest call every store answers. */
const PROBE_SID = 'sessionkit-availability-probe';

/**
 * Tracks whether the store is reachable, from its own `connect`/`disconnect` events and from the
 * outcome of every call, and emits `up`/`down` on changes. While down it probes the store with a
 * read every `probeIntervalMs` (unref'd timer): while it is down the tracker fails fast without calling
 * the store (and express-session stops calling a store it believes disconnected), so no request
 * would ever find out it is back.
 */
export class Availability extends EventEmitter {
  readonly #store: SessionStore;
  readonly #probeIntervalMs: number;
  #up = true;
  #timer: NodeJS.Timeout | undefined;
  #probing = false;

  /** `probeIntervalMs`: time between two probe reads while down, ms. */
  constructor(store: SessionStore, probeIntervalMs: number) {
    super();
    this.#store = store;
    this.#probeIntervalMs = probeIntervalMs;
    store.on('disconnect', () => this.markDown());
    store.on('connect', () => this.markUp());
  }

  get isUp(): boolean {
    return this.#up;
  }

  /** Passes `work` through, recording success as up and `StoreUnavailableError` as down. */
  observe<T>(work: Promise<T>): Promise<T> {
    // One `then` rather than an async function: no extra promise hop on every store call.
    return work.then(
      (value) => {
        this.markUp();
        return value;
      },
      (err: unknown) => {
        if (isUnavailable(err)) this.markDown();
        throw err;
      },
    );
  }

  markDown(): void {
    if (!this.#up) return;
    this.#up = false;
    this.#timer = setInterval(() => this.#probe(), this.#probeIntervalMs).unref();
    this.emit('down');
  }

  markUp(): void {
    if (this.#up) return;
    this.#up = true;
    clearInterval(this.#timer);
    this.#timer = undefined;
    this.emit('up');
  }

  #probe(): void {
    if (this.#probing) return;
    this.#probing = true;
    this.#store
      .get(PROBE_SID)
      .then(
        () => this.markUp(),
        () => {},
      )
      .finally(() => (this.#probing = false));
  }
}

/** True for `StoreUnavailableError` (by code, so it works across package copies); data errors never are. */
export function isUnavailable(err: unknown): boolean {
  return isSessionStoreError(err, 'ERR_STORE_UNAVAILABLE');
}
