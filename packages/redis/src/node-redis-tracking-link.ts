import { randomBytes } from 'node:crypto';
import { isConnectionError } from '@sessionkit/core';
import {
  attachShared,
  INVALIDATION_CHANNEL,
  type InvalidationLink,
  type InvalidationListener,
  type SharedTrackingLink,
} from './tracking-link.js';

/** The members of a node-redis v5 standalone client (`createClient`) this link uses. */
export interface NodeRedisStandalone {
  readonly isReady: boolean;
  sendCommand(args: string[]): Promise<unknown>;
  duplicate(overrides?: Record<string, unknown>): NodeRedisStandalone;
  connect(): Promise<unknown>;
  destroy(): void;
  subscribe(
    channel: string,
    listener: (message: Buffer | Buffer[] | null, channel: Buffer) => void,
    bufferMode: true,
  ): Promise<void>;
  on(event: string, listener: (...args: unknown[]) => void): unknown;
  off(event: string, listener: (...args: unknown[]) => void): unknown;
}

/** Replies that pass (the server is busy or failing over); tracking is retried on the next reconnect. */
const TRANSIENT = /^(LOADING|BUSY|MASTERDOWN|READONLY|TRYAGAIN)\b|socket|closed|disconnect/i;
const GONE_TARGET = /client ID you want redirect to does not exist/i;
/** Longest a write waits for its fence (a PING) on a connection that does not answer, in ms. */
const FENCE_TIMEOUT_MS = 1000;
/** Delay before a new invalidation connection replaces one that dropped, in ms (doubling, at most 2 s). */
const REOPEN_MS = 100;

/**
 * Client-side caching on a node-redis v5 standalone client (`createClient`), RESP2, `REDIRECT`
 * mode: the same protocol as {@link IoredisTrackingLink}. The invalidation connection is a
 * `duplicate()` of the client that the link opens, sets up (`CLIENT ID`, `CLIENT SETNAME`,
 * `SUBSCRIBE __redis__:invalidate` in buffer mode) and replaces by a new one whenever it drops
 * (node-redis would resubscribe a reconnected one by itself, before `CLIENT ID` could be asked).
 * The data connection gets `CLIENT TRACKING on REDIRECT <id>` after the `CLIENT LIST ID` name
 * check, on every `ready`; its `error`, `reconnecting` and `end` events count as a lost link.
 *
 * node-redis' own client-side cache (RESP3, `clientSideCache`) caches command replies inside the
 * client; the store caches decoded sessions and needs to know when a read is in flight, so it
 * does not use it.
 */
export class NodeRedisTrackingLink implements SharedTrackingLink {
  static readonly #links = new WeakMap<NodeRedisStandalone, SharedTrackingLink>();

  /** The link of `client` for one more near cache: shared with the other stores on that client. */
  static attach(client: NodeRedisStandalone): InvalidationLink {
    return attachShared(NodeRedisTrackingLink.#links, client, (c) => new NodeRedisTrackingLink(c));
  }

  get replaceable(): boolean {
    return this.#done && this.#refusal === undefined;
  }

  readonly #data: NodeRedisStandalone;
  readonly #name = `sessionkit-near-cache-${randomBytes(6).toString('hex')}`;
  readonly #listeners = new Set<InvalidationListener>();
  #sub: NodeRedisStandalone | undefined;
  #subReady = false;
  #subId: number | undefined;
  #subGen = 0;
  #dataGen = 0;
  #attempt = 0;
  #reopenDelay = REOPEN_MS;
  #reopenTimer: NodeJS.Timeout | undefined;
  #tracking = false;
  #refusal: string | undefined;
  #started = false;
  #done = false;
  readonly #off: () => void;

  private constructor(data: NodeRedisStandalone) {
    this.#data = data;
    const ready = () => {
      this.#dataGen++;
      void this.#track();
    };
    const down = () => {
      this.#dataGen++;
      this.#lost();
    };
    // An error event may come without a reconnect (the connection stays up): tracking is then
    // enabled again on the same connection, which Redis accepts.
    const error = () => {
      down();
      if (this.#data.isReady) void this.#track();
    };
    data.on('ready', ready);
    data.on('reconnecting', down);
    data.on('end', down);
    data.on('error', error);
    this.#off = () => {
      data.off('ready', ready);
      data.off('reconnecting', down);
      data.off('end', down);
      data.off('error', error);
    };
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
      void this.#openSub();
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

  /** Opens a new invalidation connection: CLIENT ID, CLIENT SETNAME, SUBSCRIBE; then tracking. */
  async #openSub(): Promise<void> {
    if (this.#done) return;
    const gen = ++this.#subGen;
    // No reconnects of its own: a dropped invalidation connection is replaced by a new one.
    const socket = (this.#data as { options?: { socket?: Record<string, unknown> } }).options?.socket;
    const sub = this.#data.duplicate({ disableOfflineQueue: true, socket: { ...socket, reconnectStrategy: false } });
    this.#sub = sub;
    this.#subReady = false;
    const dropped = () => {
      if (gen !== this.#subGen) return;
      this.#subGen++;
      this.#subId = undefined;
      this.#subReady = false;
      this.#lost();
      sub.off('error', dropped);
      sub.off('end', dropped);
      sub.on('error', () => {});
      try {
        sub.destroy();
      } catch {
        // already closed
      }
      this.#reopen();
    };
    sub.on('error', dropped);
    sub.on('end', dropped);
    try {
      await sub.connect();
      const id = Number(await sub.sendCommand(['CLIENT', 'ID']));
      await sub.sendCommand(['CLIENT', 'SETNAME', this.#name]);
      await sub.subscribe(INVALIDATION_CHANNEL, (message) => this.#message(message), true);
      if (gen !== this.#subGen || this.#done) return;
      this.#subId = id;
      this.#subReady = true;
      this.#reopenDelay = REOPEN_MS;
      await this.#track();
    } catch (err) {
      if (gen !== this.#subGen) return;
      if (this.#classify(err) === 'refused') return;
      dropped();
    }
  }

  #reopen(): void {
    if (this.#done || this.#reopenTimer) return;
    const delay = this.#reopenDelay;
    this.#reopenDelay = Math.min(this.#reopenDelay * 2, 2000);
    this.#reopenTimer = setTimeout(() => {
      this.#reopenTimer = undefined;
      void this.#openSub();
    }, delay);
    this.#reopenTimer.unref();
  }

  #message(message: Buffer | Buffer[] | null): void {
    // A null message: the server flushed (FLUSHALL, FLUSHDB) and invalidates every key.
    const keys = Array.isArray(message) ? message.map((key) => key.toString()) : null;
    for (const listener of this.#listeners) listener.invalidate(keys);
  }

  async #track(): Promise<void> {
    const id = this.#subId;
    if (id === undefined || this.#done || !this.#data.isReady) return;
    const attempt = ++this.#attempt;
    const subGen = this.#subGen;
    const dataGen = this.#dataGen;
    const current = () =>
      attempt === this.#attempt && subGen === this.#subGen && dataGen === this.#dataGen && !this.#done;
    try {
      const line = String(await this.#data.sendCommand(['CLIENT', 'LIST', 'ID', String(id)]));
      if (!current()) return;
      if (!line.includes(` name=${this.#name} `)) {
        // The invalidation connection reached another server (a failover in progress): replace it.
        this.#sub?.destroy();
        return;
      }
      await this.#data.sendCommand(['CLIENT', 'TRACKING', 'on', 'REDIRECT', String(id)]);
      if (!current()) return;
      this.#tracking = true;
      for (const listener of this.#listeners) listener.tracking();
    } catch (err) {
      if (!current()) return;
      if (this.#classify(err) === 'gone') this.#sub?.destroy();
    }
  }

  /** What a failed setup means: `refused` (warned, link stopped), `gone` (replace the target), or `transient`. */
  #classify(err: unknown): 'refused' | 'gone' | 'transient' {
    if (this.#done) return 'transient';
    const message = err instanceof Error ? err.message : String(err);
    if (isConnectionError(err) || TRANSIENT.test(message)) return 'transient';
    if (GONE_TARGET.test(message)) return 'gone';
    this.#refusal = message;
    for (const listener of this.#listeners) listener.refused(message);
    void this.#close();
    return 'refused';
  }

  fence(): Promise<void> {
    const sub = this.#subReady ? this.#sub : undefined;
    const ping = sub ? sub.sendCommand(['PING']) : this.#data.isReady ? this.#data.sendCommand(['PING']) : undefined;
    if (!ping) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, FENCE_TIMEOUT_MS);
      const settle = () => {
        clearTimeout(timer);
        resolve();
      };
      ping.then(settle, settle);
    });
  }

  async #close(): Promise<void> {
    if (this.#done) return;
    this.#done = true;
    this.#off();
    clearTimeout(this.#reopenTimer);
    this.#subGen++;
    const sub = this.#sub;
    if (sub) {
      sub.on('error', () => {});
      try {
        sub.destroy();
      } catch {
        // already closed
      }
    }
    // The data connection is the app's own client and stays open: stop Redis tracking its reads.
    if (this.#data.isReady) {
      await Promise.race([
        this.#data.sendCommand(['CLIENT', 'TRACKING', 'off']).catch(() => {}),
        new Promise((resolve) => setTimeout(resolve, 1000).unref()),
      ]);
    }
  }
}
