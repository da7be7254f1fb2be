import { StoreUnavailableError } from '@sessionkit/core';
import type { Cluster, Redis } from 'ioredis';

export type RedisClient = Redis | Cluster;

/**
 * Follows the client's connection and turns it into the store's `connect` / `disconnect`
 * events, and gates every command on it:
 * - before the first `ready`, a command waits for it (the caller's operationTimeoutMs bounds
 *   the wait), starting a lazyConnect client if needed;
 * - after that, while the link is down, a command fails at once with StoreUnavailableError
 *   instead of queueing, so requests do not pile up behind an outage.
 */
export class Link {
  #connected = false;
  #everReady = false;
  #firstReady: Promise<void> | undefined;
  readonly #detach: () => void;

  constructor(
    readonly client: RedisClient,
    emit: (event: 'connect' | 'disconnect' | 'error', ...args: unknown[]) => void,
  ) {
    const up = () => {
      this.#everReady = true;
      if (this.#connected) return;
      this.#connected = true;
      emit('connect');
    };
    const down = () => {
      if (!this.#connected) return;
      this.#connected = false;
      emit('disconnect');
    };
    const error = (err: unknown) => emit('error', err);
    client.on('ready', up);
    client.on('close', down);
    client.on('end', down);
    client.on('error', error);
    this.#detach = () => {
      client.off('ready', up);
      client.off('close', down);
      client.off('end', down);
      client.off('error', error);
    };
    // A client handed in already connected: announce it once listeners had a chance to attach.
    if (client.status === 'ready') process.nextTick(up);
  }

  /** The client, once it can take a command. @throws StoreUnavailableError while the link is down. */
  async ready(): Promise<RedisClient> {
    const { client } = this;
    if (client.status === 'ready') return client;
    if (client.status === 'end') throw new StoreUnavailableError('the Redis client was closed (status end)');
    if (this.#everReady) throw new StoreUnavailableError(`Redis link is down (status ${client.status}); reconnecting`);
    this.#firstReady ??= new Promise<void>((resolve) => client.once('ready', () => resolve()));
    if (client.status === 'wait') client.connect().catch(() => {});
    await this.#firstReady;
    return client;
  }

  /** Stops following the client; the client itself is left as it is. */
  detach(): void {
    this.#detach();
  }
}
