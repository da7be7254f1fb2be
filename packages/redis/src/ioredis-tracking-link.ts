import { randomBytes } from 'node:crypto';
import { isConnectionError } from '@sessionkit/core';
import type { Redis } from 'ioredis';
import {
  attachShared,
  INVALIDATION_CHANNEL,
  type InvalidationLink,
  type InvalidationListener,
  type SharedTrackingLink,
} from './tracking-link.js';

/** Replies that pass: the server is busy, failing over or the connection went away. Tracking is retried on the next `ready`. */
const TRANSIENT =
  /^(LOADING|BUSY|MASTERDOWN|READONLY|TRYAGAIN)\b|Command timed out|Connection is closed|Stream isn't writeable|max retries per request/i;
/** Longest a write waits for its fence (a PING) on a connection that does not answer, in ms. */
const FENCE_TIMEOUT_MS = 1000;
/** The REDIRECT target is not a client of the server the data connection reached (it moved to another server). */
const GONE_TARGET = /client ID you want redirect to does not exist/i;

/**
 * Client-side caching on ioredis in RESP2, with the `REDIRECT` mode
 * (https://redis.io/docs/latest/develop/reference/client-side-caching/#the-redirect-mode):
 * a second connection (a `duplicate()` of the store's client, so the same server, credentials,
 * TLS and Sentinel settings) asks `CLIENT ID`, names itself, and subscribes to
 * `__redis__:invalidate`; then the data connection, which performs the reads, sends
 * `CLIENT TRACKING on REDIRECT <id>`. Both steps are redone after every reconnect of either
 * connection (a new connection has a new id, and tracking is a property of a connection).
 *
 * Before enabling tracking, the data connection checks with `CLIENT LIST ID <id>` that the
 * target carries this link's unique name: after a Sentinel failover the two connections may
 * briefly reach different servers, where the same id could belong to an unrelated client.
 *
 * Commands: the invalidation connection sends 3 at each connect; the data connection 2. A read
 * costs nothing more; invalidation messages arrive as pub/sub messages.
 *
 * Tracking is a property of the connection, and a connection has one REDIRECT target: so all
 * stores on one client share one link ({@link IoredisTrackingLink.attach}), which reports to each
 * of them and closes when the last one leaves.
 */
export class IoredisTrackingLink implements SharedTrackingLink {
  static readonly #links = new WeakMap<Redis, SharedTrackingLink>();

  /** The link of `client` for one more near cache: shared with the other stores on that client. */
  static attach(client: Redis): InvalidationLink {
    return attachShared(IoredisTrackingLink.#links, client, (c) => new IoredisTrackingLink(c));
  }

  get replaceable(): boolean {
    return this.#done && this.#refusal === undefined;
  }

  readonly #data: Redis;
  readonly #sub: Redis;
  readonly #name = `sessionkit-near-cache-${randomBytes(6).toString('hex')}`;
  readonly #listeners = new Set<InvalidationListener>();
  #tracking = false;
  #refusal: string | undefined;
  #started = false;
  #subId: number | undefined;
  #subGen = 0;
  #dataGen = 0;
  #attempt = 0;
  #done = false;
  readonly #off: () => void;

  private constructor(data: Redis) {
    this.#data = data;
    // Its own settings: no auto-pipelining (pub/sub), no resubscription by ioredis (this link sets
    // up every new connection itself, in order: CLIENT ID, name, SUBSCRIBE).
    this.#sub = data.duplicate({
      lazyConnect: true,
      autoResubscribe: false,
      enableAutoPipelining: false,
      enableOfflineQueue: true,
    });
    const sub = this.#sub;
    const dataReady = () => {
      this.#dataGen++;
      void this.#track();
    };
    const dataDown = () => {
      this.#dataGen++;
      this.#lost();
    };
    data.on('ready', dataReady);
    data.on('close', dataDown);
    data.on('end', dataDown);
    sub.on('ready', () => void this.#setUpSub());
    sub.on('close', () => {
      this.#subGen++;
      this.#subId = undefined;
      this.#lost();
    });
    // Errors of this connection reach the app through the store's client (same server); a
    // listener is needed so that ioredis does not report them as unhandled.
    sub.on('error', () => {});
    sub.on('messageBuffer', (channel: Buffer, message: Buffer[] | Buffer | null) => {
      if (channel.toString() !== INVALIDATION_CHANNEL) return;
      // A null message: the server flushed (FLUSHALL, FLUSHDB) and invalidates every key.
      const keys = message === null || !Array.isArray(message) ? null : message.map((key) => key.toString());
      for (const listener of this.#listeners) listener.invalidate(keys);
    });
    this.#off = () => {
      data.off('ready', dataReady);
      data.off('close', dataDown);
      data.off('end', dataDown);
    };
  }

  /** PING on the invalidation connection (allowed in subscriber mode), else on the data connection; bounded. */
  fence(): Promise<void> {
    const through = this.#sub.status === 'ready' ? this.#sub : this.#data.status === 'ready' ? this.#data : undefined;
    if (!through) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, FENCE_TIMEOUT_MS);
      through.ping().then(
        () => {
          clearTimeout(timer);
          resolve();
        },
        () => {
          clearTimeout(timer);
          resolve();
        },
      );
    });
  }

  join(listener: InvalidationListener): void {
    if (this.#refusal !== undefined) {
      listener.refused(this.#refusal);
      return;
    }
    this.#listeners.add(listener);
    if (this.#tracking) listener.tracking();
    if (!this.#started) {
      this.#started = true;
      this.#sub.connect().catch(() => {});
    }
  }

  async leave(listener: InvalidationListener): Promise<void> {
    this.#listeners.delete(listener);
    if (this.#listeners.size === 0) await this.#close();
  }

  #lost(): void {
    this.#tracking = false;
    for (const listener of this.#listeners) listener.lost();
  }

  async #close(): Promise<void> {
    if (this.#done) return;
    this.#done = true;
    this.#off();
    this.#sub.disconnect();
    // The data connection may be the app's own client and stay open: stop Redis tracking its reads.
    if (this.#data.status === 'ready') {
      await Promise.race([
        this.#data.client('TRACKING', 'off').catch(() => {}),
        new Promise((resolve) => setTimeout(resolve, 1000).unref()),
      ]);
    }
  }

  /** On every `ready` of the invalidation connection: CLIENT ID, CLIENT SETNAME, SUBSCRIBE. */
  async #setUpSub(): Promise<void> {
    const gen = ++this.#subGen;
    const sub = this.#sub;
    try {
      const id = Number(await sub.client('ID'));
      await sub.client('SETNAME', this.#name);
      await sub.subscribe(INVALIDATION_CHANNEL);
      if (gen !== this.#subGen || this.#done) return;
      this.#subId = id;
      await this.#track();
    } catch (err) {
      if (gen === this.#subGen) this.#failed(err);
    }
  }

  /** Enables tracking on the data connection towards the subscribed connection, when both are up. */
  async #track(): Promise<void> {
    const id = this.#subId;
    if (id === undefined || this.#done || this.#data.status !== 'ready') return;
    const attempt = ++this.#attempt;
    const subGen = this.#subGen;
    const dataGen = this.#dataGen;
    const current = () =>
      attempt === this.#attempt && subGen === this.#subGen && dataGen === this.#dataGen && !this.#done;
    try {
      const line = String(await this.#data.client('LIST', 'ID', String(id)));
      if (!current()) return;
      if (!line.includes(` name=${this.#name} `)) {
        // The invalidation connection reached another server than the data connection (a
        // failover in progress): reconnect it; its next `ready` tries again.
        this.#sub.disconnect(true);
        return;
      }
      await this.#data.client('TRACKING', 'on', 'REDIRECT', String(id));
      if (!current()) return;
      this.#tracking = true;
      for (const listener of this.#listeners) listener.tracking();
    } catch (err) {
      if (current()) this.#failed(err);
    }
  }

  #failed(err: unknown): void {
    if (this.#done) return;
    const message = err instanceof Error ? err.message : String(err);
    if (isConnectionError(err) || TRANSIENT.test(message)) return;
    if (GONE_TARGET.test(message)) {
      this.#sub.disconnect(true);
      return;
    }
    // Any other reply: the server does not allow this (CLIENT renamed away, an ACL without
    // `client` or `subscribe`, tracking disabled by the provider). Warn once, stay uncached.
    this.#refusal = message;
    for (const listener of this.#listeners) listener.refused(message);
    this.#done = true;
    this.#off();
    this.#sub.disconnect();
  }
}
