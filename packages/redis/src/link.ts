import { StoreUnavailableError } from '@sessionkit/core';
import type { RedisDriver } from './client.js';
import { redactError } from './redact.js';

interface Waiter {
  resolve(driver: RedisDriver): void;
  reject(err: Error): void;
  timer: NodeJS.Timeout;
}

/**
 * Follows the client's connection, reports each change to the store (which emits `connect` /
 * `disconnect`, once per change), and gates every command on it:
 * - before the first `ready`, a command waits for it (through the client's reconnection attempts,
 *   so an app may start before Redis), starting the client if the store may (a lazyConnect
 *   ioredis client, or a client the store created). Each wait ends
 *   after `waitMs` (operationTimeoutMs), or at once when the client ends for good, and the waiter
 *   is dropped: calls made while Redis has never been reachable leave nothing behind
 *   ({@link Link.waiting} goes back to 0 once they settled);
 * - after that, while the link is down, a command fails at once with StoreUnavailableError
 *   instead of queueing, so requests do not pile up behind an outage.
 */
export class Link {
  #everReady = false;
  #lastError: string | undefined;
  readonly #waiters = new Set<Waiter>();
  readonly #detach: () => void;

  constructor(
    readonly driver: RedisDriver,
    linkChanged: (up: boolean) => void,
    onError: (err: unknown) => void,
    readonly waitMs: number,
  ) {
    const up = () => {
      this.#everReady = true;
      this.#lastError = undefined;
      this.#settleWaiters();
      linkChanged(true);
    };
    // A link that was never up has not gone down: no `disconnect` before the first `connect`.
    const down = () => {
      if (this.#everReady) linkChanged(false);
    };
    // The client gave up for good (quit, or its retry strategy stopped): nothing will come.
    const ended = () => {
      down();
      this.#settleWaiters();
    };
    const error = (err: unknown) => {
      const safe = redactError(err);
      this.#lastError = safe instanceof Error ? safe.message : String(safe);
      onError(safe);
    };
    const stop = driver.watch({ up, down, ended, error });
    this.#detach = () => {
      stop();
      this.#settleWaiters();
    };
    // A client handed in already connected: announce it once listeners had a chance to attach.
    if (driver.state() === 'ready') process.nextTick(up);
  }

  /** Calls waiting for the first `ready` right now (a diagnostic figure: 0 once every call settled). */
  get waiting(): number {
    return this.#waiters.size;
  }

  /** The driver, once its client can take a command. @throws StoreUnavailableError while the link is down. */
  ready(): Promise<RedisDriver> {
    const { driver } = this;
    const state = driver.state();
    if (state === 'ready') return Promise.resolve(driver);
    if (state === 'ended') return Promise.reject(new StoreUnavailableError('the Redis client was closed'));
    if (this.#everReady)
      return Promise.reject(new StoreUnavailableError(`Redis link is down (${state}); reconnecting`));
    return new Promise<RedisDriver>((resolve, reject) => {
      const waiter: Waiter = {
        resolve,
        reject,
        timer: setTimeout(() => {
          this.#waiters.delete(waiter);
          reject(this.#unreachable(`did not become ready within ${this.waitMs} ms (operationTimeoutMs)`));
        }, this.waitMs),
      };
      waiter.timer.unref();
      this.#waiters.add(waiter);
      if (state === 'idle') driver.start();
    });
  }

  /** Stops following the client, and ends every wait; the client itself is left as it is. */
  detach(): void {
    this.#detach();
  }

  /** Resolves every waiter when the client is ready, rejects them otherwise, and forgets them. */
  #settleWaiters(): void {
    if (this.#waiters.size === 0) return;
    const waiters = [...this.#waiters];
    this.#waiters.clear();
    const state = this.driver.state();
    const err = state === 'ready' ? undefined : this.#unreachable(`is not reachable (${state})`);
    for (const waiter of waiters) {
      clearTimeout(waiter.timer);
      if (err) waiter.reject(err);
      else waiter.resolve(this.driver);
    }
  }

  #unreachable(what: string): StoreUnavailableError {
    const last = this.#lastError ? `; last error: ${this.#lastError}` : '';
    return new StoreUnavailableError(`Redis ${what} and has not been reachable since the store was created${last}`);
  }
}
