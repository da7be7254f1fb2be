import { StoreConfigError } from '@sessionkit/core';
import type { KeyBatch, LinkEvents, LinkState, NodeRedisClient, RedisDriver } from './client.js';
import { hashFields } from './hash-reply.js';
import { NodeRedisConnection } from './node-redis-connection.js';
import { sendFor, type Send } from './node-redis-routing.js';
import { asEval, isNoScript, scriptArgs } from './node-redis-script-args.js';
import {
  type ClusterShape,
  destroy,
  type Emitter,
  type StandaloneShape,
  type SubscribableShape,
  type Topology,
  topologyOf,
} from './node-redis-shapes.js';
import type { ScriptArgs, ScriptName } from './scripts.js';

/**
 * The store's commands on node-redis v5+, all through `sendCommand` (no per-command parser):
 * - scripts go as EVALSHA, and as EVAL after a NOSCRIPT reply (a restarted or new server);
 * - every command goes to a master: on a Cluster routed by the session key, on a Sentinel
 *   deployment to the master, so a read always sees the last write even with `useReplicas`;
 * - WAIT is sent right after the script in the same tick, which node-redis writes together.
 *
 * Connection: a standalone client's `ready`, `error`/`reconnecting` and `end` events; a Cluster's
 * `connect` and `disconnect` (its nodes reconnect on their own, and a lost node shows up as the
 * failing calls); a Sentinel's readiness once connected (its failover shows up as failing calls).
 * The store connects a client it created on its first call; a client handed in is connected by
 * its owner (`await client.connect()`), and calls wait for that up to operationTimeoutMs.
 */
export class NodeRedisDriver implements RedisDriver {
  readonly kind = 'node-redis';
  readonly cluster: boolean;
  readonly database: number;
  readonly #topology: Topology;
  readonly #send: Send;
  readonly #connection: NodeRedisConnection;

  constructor(
    readonly client: NodeRedisClient,
    owned: boolean,
  ) {
    this.#topology = topologyOf(client);
    this.cluster = this.#topology === 'cluster';
    this.database = this.cluster
      ? 0
      : Number((client as unknown as { options?: { database?: number } }).options?.database ?? 0);
    this.#send = sendFor(this.#topology, client);
    this.#connection = new NodeRedisConnection(client, this.#topology, owned);
    // node-redis throws an `error` event nobody listens to; a client the store created keeps this
    // listener after close(), when the store's own is gone.
    if (owned) (client as unknown as Emitter).on('error', () => {});
  }

  state(): LinkState {
    return this.#connection.state();
  }

  start(): void {
    this.#connection.start();
  }

  watch(events: LinkEvents): () => void {
    return this.#connection.watch(events);
  }

  script(name: ScriptName, key: string, tombstone: string, argv: ScriptArgs): Promise<unknown> {
    const args = scriptArgs(name, key, tombstone, argv);
    return this.#send(key, args).catch((err: unknown) => {
      if (!isNoScript(err)) throw err;
      return this.#send(key, asEval(name, args));
    });
  }

  async scriptThenWait(
    name: ScriptName,
    key: string,
    tombstone: string,
    argv: ScriptArgs,
    replicas: number,
    timeoutMs: number,
  ): Promise<{ reply: unknown; acknowledged: number }> {
    const args = scriptArgs(name, key, tombstone, argv);
    const wait = ['WAIT', String(replicas), String(timeoutMs)];
    // issued in one tick: node-redis writes both at once, WAIT right behind the script
    let written = this.#send(key, args);
    let waited = this.#send(key, wait);
    let reply: unknown;
    try {
      reply = await written;
    } catch (err) {
      waited.catch(() => {});
      if (!isNoScript(err)) throw err;
      written = this.#send(key, asEval(name, args));
      waited = this.#send(key, wait);
      reply = await written.catch((again: unknown) => {
        waited.catch(() => {});
        throw again;
      });
    }
    return { reply, acknowledged: Number(await waited) };
  }

  command(key: string, args: string[]): Promise<unknown> {
    return this.#send(key, args);
  }

  async subscribeEverywhere(
    channel: string,
    prepare: (send: (args: string[]) => Promise<unknown>, where: string) => Promise<void>,
    onMessage: (message: string) => void,
  ): Promise<() => void> {
    if (this.#topology === 'sentinel') {
      throw new StoreConfigError(
        'events: true is not supported on a node-redis Sentinel client: hand in an ioredis client configured with sentinels',
      );
    }
    const servers: SubscribableShape[] = [];
    if (this.#topology === 'cluster') {
      const cluster = this.client as unknown as ClusterShape;
      for (const master of cluster.masters)
        servers.push((await cluster.nodeClient(master)) as unknown as SubscribableShape);
    } else {
      servers.push(this.client as unknown as SubscribableShape);
    }
    const subscribers: SubscribableShape[] = [];
    const stop = () => {
      for (const subscriber of subscribers.splice(0)) void destroy(subscriber as unknown as StandaloneShape);
    };
    try {
      await Promise.all(
        servers.map(async (server, i) => {
          // a connection of its own: a subscribed connection can send nothing else
          const subscriber = server.duplicate();
          subscribers.push(subscriber);
          subscriber.on('error', () => {});
          await subscriber.connect();
          await prepare((args) => subscriber.sendCommand(args), `server ${i + 1} of ${servers.length}`);
          await subscriber.subscribe(channel, (message: unknown) => onMessage(String(message)));
        }),
      );
    } catch (err) {
      stop();
      throw err;
    }
    return stop;
  }

  async hgetall(key: string): Promise<string[]> {
    return hashFields(await this.#send(key, ['HGETALL', key]));
  }

  async get(key: string): Promise<string | null> {
    const reply = await this.#send(key, ['GET', key]);
    return reply === null || reply === undefined ? null : String(reply);
  }

  pexpire(key: string, ttlMs: number): Promise<unknown> {
    return this.#send(key, ['PEXPIRE', key, String(ttlMs)]);
  }

  async pttl(key: string): Promise<number> {
    return Number(await this.#send(key, ['PTTL', key]));
  }

  async *scan(pattern: string, count: number): AsyncGenerator<KeyBatch> {
    const nodes: { node: unknown; send: (args: string[]) => Promise<unknown> }[] = [];
    if (this.#topology === 'cluster') {
      const cluster = this.client as unknown as ClusterShape;
      for (const master of cluster.masters) {
        const node = await cluster.nodeClient(master);
        nodes.push({ node, send: (args) => node.sendCommand(args) });
      }
    } else {
      // a Sentinel's commands go to the master, so each SCAN step reaches the one server
      nodes.push({ node: this.client, send: (args) => this.#send('', args) });
    }
    for (const { node, send } of nodes) {
      let cursor = '0';
      do {
        const [next, keys] = (await send(['SCAN', cursor, 'MATCH', pattern, 'COUNT', String(count)])) as [
          unknown,
          unknown[],
        ];
        cursor = String(next);
        if (keys.length > 0) yield { node, keys: keys.map(String) };
      } while (cursor !== '0');
    }
  }

  async unlink({ node, keys }: KeyBatch): Promise<void> {
    if (this.#topology !== 'cluster') {
      await this.#send(keys[0]!, ['UNLINK', ...keys]);
      return;
    }
    // A multi-key UNLINK on a Cluster must stay within one slot: one UNLINK per key, issued in one
    // tick so node-redis writes them together (one round trip per batch).
    await Promise.all(keys.map((key) => (node as StandaloneShape).sendCommand(['UNLINK', key])));
  }

  close(timeoutMs: number): Promise<void> {
    return this.#connection.close(timeoutMs);
  }

  disconnect(): void {
    this.#connection.disconnect();
  }
}
