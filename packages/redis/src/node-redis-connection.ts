import { withTimeout } from '@sessionkit/core';
import type { LinkEvents, LinkState, NodeRedisClient } from './client.js';
import {
  type ClusterShape,
  destroy,
  type Emitter,
  type SentinelShape,
  type StandaloneShape,
  type Topology,
} from './node-redis-shapes.js';

/** How often a Sentinel handed in not yet connected is checked for readiness (node-redis emits no event for it), ms. */
const SENTINEL_READY_POLL_MS = 100;

/**
 * A node-redis client's connection as the store sees it: a standalone client's `ready`,
 * `error`/`reconnecting` and `end` events; a Cluster's `connect` and `disconnect` (its nodes
 * reconnect on their own, and a lost node shows up as the failing calls); a Sentinel's readiness
 * once connected (its failover shows up as failing calls). It connects a client the store created
 * on its first call, and closes it.
 */
export class NodeRedisConnection {
  readonly #client: NodeRedisClient;
  readonly #topology: Topology;
  readonly #owned: boolean;
  #seenOpen = false;
  #ended = false;
  #connecting = false;
  #events: LinkEvents | undefined;

  constructor(client: NodeRedisClient, topology: Topology, owned: boolean) {
    this.#client = client;
    this.#topology = topology;
    this.#owned = owned;
  }

  state(): LinkState {
    const client = this.#client;
    if (client.isOpen) {
      this.#seenOpen = true;
      if (this.#topology === 'cluster')
        return (client as unknown as ClusterShape).masters.length > 0 ? 'ready' : 'connecting';
      return (client as unknown as StandaloneShape).isReady ? 'ready' : 'connecting';
    }
    if (this.#connecting) return 'connecting';
    // A Cluster whose first discovery failed is closed again but may be connected anew.
    return this.#ended || (this.#seenOpen && this.#topology === 'client') ? 'ended' : 'idle';
  }

  start(): void {
    if (!this.#owned || this.#connecting || this.#client.isOpen || this.#ended) return;
    this.#connecting = true;
    const client = this.#client as unknown as StandaloneShape | ClusterShape | SentinelShape;
    client.connect().then(
      () => {
        this.#connecting = false;
        // node-redis announces a Sentinel's readiness with no event
        if (this.#topology === 'sentinel') this.#events?.up();
      },
      async () => {
        // A Sentinel stays "open" after its first connection failed; destroy() lets it connect anew.
        if (this.#topology === 'sentinel') await destroy(client);
        this.#connecting = false;
        this.#events?.down();
      },
    );
  }

  watch(events: LinkEvents): () => void {
    this.#events = events;
    const client = this.#client;
    const emitter = client as unknown as Emitter;
    const on = (event: string, listener: (...args: never[]) => void) => {
      emitter.on(event, listener);
      return () => void emitter.off(event, listener);
    };
    const stops: (() => void)[] = [];
    switch (this.#topology) {
      case 'client': {
        const lost = () => {
          const state = this.state();
          if (state === 'ended') {
            this.#ended = true;
            events.ended();
          } else if (state !== 'ready') events.down();
        };
        stops.push(
          on('ready', () => {
            this.#seenOpen = true;
            events.up();
          }),
          // the reconnect strategy gave up: the error comes with the client closed
          on('error', (err: unknown) => {
            events.error(err);
            lost();
          }),
          on('reconnecting', lost),
          on('end', () => {
            this.#ended = true;
            events.ended();
          }),
        );
        break;
      }
      case 'cluster':
        stops.push(
          on('connect', events.up),
          on('disconnect', () => {
            this.#ended = true;
            events.ended();
          }),
          on('error', events.error),
        );
        break;
      case 'sentinel': {
        stops.push(on('error', events.error));
        if (!this.#owned && !(client as unknown as SentinelShape).isReady) {
          const poll = setInterval(() => {
            if (!(client as unknown as SentinelShape).isReady) return;
            clearInterval(poll);
            events.up();
          }, SENTINEL_READY_POLL_MS);
          poll.unref();
          stops.push(() => clearInterval(poll));
        }
        break;
      }
    }
    return () => {
      this.#events = undefined;
      for (const stop of stops) stop();
    };
  }

  async close(timeoutMs: number): Promise<void> {
    const client = this.#client as unknown as StandaloneShape | ClusterShape | SentinelShape;
    this.#ended = true;
    if (!client.isOpen && !this.#connecting) return;
    // close() lets commands in flight finish; destroy() after timeoutMs drops what is left.
    await withTimeout(
      Promise.resolve().then(() => client.close()),
      timeoutMs,
      'redis close',
    ).catch(() => destroy(client));
  }

  disconnect(): void {
    const client = this.#client as unknown as StandaloneShape | ClusterShape | SentinelShape;
    this.#ended = true;
    if (client.isOpen) void destroy(client);
  }
}
