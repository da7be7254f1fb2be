import { StoreConfigError } from '@sessionkit/core';
import type { RedisDriver } from './client.js';
import type { Link } from './link.js';
import { redactError } from './redact.js';

/** The keyspace notification classes the store needs: `E` keyevent channels, `x` expired events. */
const NEEDED = ['E', 'x'];

/**
 * Listens for Redis' `expired` keyevent notifications (`__keyevent@<db>__:expired`) on a
 * connection of its own per server: the standalone server (through Sentinel, the current master),
 * or every master of a Cluster, since each node only reports the keys it holds. Before
 * subscribing it makes sure `notify-keyspace-events` includes `Ex`, adding the missing flags with
 * CONFIG SET (keeping the others); where CONFIG is refused (managed Redis, a renamed command, an
 * ACL) it reports a {@link StoreConfigError} through `onError` saying what to configure, and
 * listens anyway, in case the setting is made outside.
 *
 * Pub/sub is fire and forget: a notification sent while a subscriber is reconnecting is lost (at
 * most once). Masters added to a Cluster after the store started are not listened to.
 * @returns what stops listening.
 */
export function listenForExpiry(
  driver: RedisDriver,
  onExpired: (key: string) => void,
  onError: (err: unknown) => void,
): Promise<() => void> {
  return driver.subscribeEverywhere(
    `__keyevent@${driver.database}__:expired`,
    async (send, where) => {
      try {
        const reply = (await send(['CONFIG', 'GET', 'notify-keyspace-events'])) as unknown;
        const flags = configValue(reply);
        const has = (flag: string) => flags.includes(flag) || (flag === 'x' && flags.includes('A'));
        const missing = NEEDED.filter((flag) => !has(flag));
        if (missing.length) await send(['CONFIG', 'SET', 'notify-keyspace-events', flags + missing.join('')]);
      } catch (err) {
        const reason = redactError(err);
        onError(
          new StoreConfigError(
            `events: true needs Redis keyspace notifications for expired keys, and ${where} refused to enable them ` +
              `(${reason instanceof Error ? reason.message : String(reason)}): set notify-keyspace-events to include "Ex" ` +
              "on every master (redis.conf: notify-keyspace-events Ex; on a managed Redis, its parameter group). Until then no 'expired' events are delivered.",
          ),
        );
      }
    },
    onExpired,
  );
}

/**
 * A store's `events: true` listener: starts {@link listenForExpiry} once the link is first ready,
 * and stops it on {@link close}, also when that comes before the subscriptions are confirmed.
 */
export class ExpiryEvents {
  /** Resolves once every server is listened to; rejects when subscribing failed (also reported through `onError`). */
  readonly ready: Promise<void>;
  #stop: (() => void) | undefined;
  #closed = false;

  constructor(link: Link, onExpired: (key: string) => void, onError: (err: unknown) => void) {
    this.ready = link.ready().then(async (ready) => {
      const stop = await listenForExpiry(ready, onExpired, onError);
      if (this.#closed) stop();
      else this.#stop = stop;
    });
    this.ready.catch((err: unknown) => onError(redactError(err)));
  }

  close(): void {
    this.#closed = true;
    this.#stop?.();
  }
}

/** The value of a `CONFIG GET` reply: `[name, value]` (RESP2) or `{ name: value }` (RESP3). */
function configValue(reply: unknown): string {
  if (Array.isArray(reply)) return String(reply[1] ?? '');
  if (reply instanceof Map) return String([...reply.values()][0] ?? '');
  if (reply && typeof reply === 'object') return String(Object.values(reply)[0] ?? '');
  return '';
}
