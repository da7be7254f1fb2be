import { StoreConfigError } from '@sessionkit/core';
import type { Cluster, Redis } from 'ioredis';
import type { RedisClient } from './link.js';
import { redactError } from './redact.js';

/** The keyspace notification classes the store needs: `E` keyevent channels, `x` expired events. */
const NEEDED = ['E', 'x'];

/**
 * Listens for Redis' `expired` keyevent notifications (`__keyevent@<db>__:expired`) on a
 * connection of its own per server: the standalone server (through Sentinel, the current master),
 * or every master of a Cluster, since each node only reports the keys it holds. Before
 * subscribing it makes sure `notify-keyspace-events` includes `Ex`, adding the missing flags with
 * CONFIG SET (keeping the others); where CONFIG is refused (managed Redis, a renamed command, an
 * ACL) it reports a {@link StoreConfigError} saying what to configure, and listens anyway, in
 * case the setting is made outside.
 *
 * Pub/sub is fire and forget: a notification sent while a subscriber is reconnecting is lost
 * (at most once). Masters added to a Cluster after `start()` are not listened to.
 */
export class ExpiryEvents {
  readonly #subscribers: Redis[] = [];
  #closed = false;

  constructor(
    readonly client: RedisClient,
    readonly onExpired: (key: string) => void,
    readonly onError: (err: unknown) => void,
  ) {}

  /** Subscribes on every server; resolves once each has confirmed its subscription. */
  async start(): Promise<void> {
    const nodes = this.client.isCluster ? (this.client as Cluster).nodes('master') : [this.client as Redis];
    const db = this.client.isCluster ? 0 : ((this.client as Redis).options.db ?? 0);
    await Promise.all(nodes.map((node) => this.#listen(node, db)));
  }

  async #listen(node: Redis, db: number): Promise<void> {
    if (this.#closed) return;
    const subscriber = node.duplicate({ lazyConnect: true, enableOfflineQueue: true, maxRetriesPerRequest: null });
    this.#subscribers.push(subscriber);
    subscriber.on('error', () => {}); // the store's own link reports outages
    subscriber.on('message', (_channel: string, key: string) => this.onExpired(key));
    await subscriber.connect();
    await this.#enable(subscriber);
    await subscriber.subscribe(`__keyevent@${db}__:expired`);
  }

  async #enable(connection: Redis): Promise<void> {
    const where = `${connection.options.host ?? '127.0.0.1'}:${connection.options.port ?? 6379}`;
    try {
      const [, flags = ''] = (await connection.config('GET', 'notify-keyspace-events')) as string[];
      const has = (flag: string) => flags.includes(flag) || (flag === 'x' && flags.includes('A'));
      const missing = NEEDED.filter((flag) => !has(flag));
      if (missing.length) await connection.config('SET', 'notify-keyspace-events', flags + missing.join(''));
    } catch (err) {
      this.onError(
        new StoreConfigError(
          `events: true needs Redis keyspace notifications for expired keys, and ${where} refused to enable them ` +
            `(${redactError(err) instanceof Error ? (redactError(err) as Error).message : String(err)}): set notify-keyspace-events ` +
            'to include "Ex" on every master (redis.conf: notify-keyspace-events Ex; on a managed Redis, its parameter group). ' +
            "Until then no 'expired' events are delivered.",
        ),
      );
    }
  }

  close(): void {
    this.#closed = true;
    for (const subscriber of this.#subscribers.splice(0)) subscriber.disconnect();
  }
}
