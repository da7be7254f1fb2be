import { StoreUnavailableError } from '@sessionkit/core';
import type { Cluster, Redis } from 'ioredis';
import { redactError } from './redact.js';

export type RedisClient = Redis | Cluster;

interface Waiter {
  resolve(client: RedisClient): void;
  reject(err: Error): void;
  timer: NodeJS.Timeout;
}

/**
 * Follows the client's connection and turns it into the store's `connect` / `disconnect`
 * events, and gates every command on it:
 * - before the first `ready`, a command waits for it (through the client's reconnection attempts,
 *   so an app may start before Redis), starting a lazyConnect client if needed. Each wait ends
 *   after `waitMs` (operationTimeoutMs), or at once when the client ends for good, and the waiter
 *   is dropped: calls made while Redis has never been reachable leave nothing behind
 *   ({@link Link.waiting} goes back to 0 once they settled);
 * - after that, while the link is down, a command fails at once with StoreUnavailableError
 *   instead of queueing, so requests do not pile up behind an outage.
 */
export class Link {
  #connected = false;
  #everReady = false;
  #lastError: string | undefined;
  readonly #waiters = new Set<Waiter>();
  readonly #detach: () => void;

  constructor(
    readonly client: RedisClient,
    emit: (event: 'connect' | 'disconnect' | 'error', ...args: unknown[]) => void,
    readonly waitMs: number,
  ) {
    const up = () => {
      this.#everReady = true;
      this.#lastError = undefined;
      this.#settleWaiters();
      if (this.#connected) return;
      this.#connected = true;
      emit('connect');
    };
    const down = () => {
      if (!this.#connected) return;
      this.#connected = false;
      emit('disconnect');
    };
    // The client gave up for good (quit, or its retry strategy stopped): nothing will come.
    const ended = () => {
      down();
      this.#settleWaiters();
    };
    const error = (err: unknown) => {
      const safe = redactError(err);
      this.#lastError = safe instanceof Error ? safe.message : String(safe);
      emit('error', safe);
    };
    client.on('ready', up);
    client.on('close', down);
    client.on('end', ended);
    client.on('error', error);
    this.#detach = () => {
      client.off('ready', up);
      client.off('close', down);
      client.off('end', ended);
      client.off('error', error);
      this.#settleWaiters();
    };
    // A client handed in already connected: announce it once listeners had a chance to attach.
    if (client.status === 'ready') process.nextTick(up);
  }

  /** Calls waiting for the first `ready` right now (a diagnostic figure: 0 once every call settled). */
  get waiting(): number {
    return this.#waiters.size;
  }

  /** The client, once it can take a command. @throws StoreUnavailableError while the link is down. */
  ready(): Promise<RedisClient> {
    const { client } = this;
    if (client.status === 'ready') return Promise.resolve(client);
    if (client.status === 'end') return Promise.reject(new StoreUnavailableError('the Redis client was closed (status end)'));
    if (this.#everReady) return Promise.reject(new StoreUnavailableError(`Redis link is down (status ${client.status}); reconnecting`));
    return new Promise<RedisClient>((resolve, reject) => {
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
      if (client.status === 'wait') client.connect().catch(() => {});
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
    const ready = this.client.status === 'ready';
    const err = ready ? undefined : this.#unreachable(`is not reachable (status ${this.client.status})`);
    for (const waiter of waiters) {
      clearTimeout(waiter.timer);
      if (err) waiter.reject(err);
      else waiter.resolve(this.client);
    }
  }

  #unreachable(what: string): StoreUnavailableError {
    const last = this.#lastError ? `; last error: ${this.#lastError}` : '';
    return new StoreUnavailableError(`Redis ${what} and has not been reachable since the store was created${last}`);
  }
}
