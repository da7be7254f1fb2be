import { createHash } from 'node:crypto';
import { StoreConfigError, withTimeout } from '@sessionkit/core';
import type { KeyBatch, LinkEvents, LinkState, NodeRedisClient, RedisDriver } from './client.js';
import { slotOf, tagForSlot } from './keys.js';
import { SCRIPTS, type ScriptArgs, type ScriptName } from './scripts.js';

/** The SHA1 of each script, as EVALSHA names it. */
const SHAS = Object.fromEntries(
  Object.entries(SCRIPTS).map(([name, lua]) => [name, createHash('sha1').update(lua).digest('hex')]),
) as Record<ScriptName, string>;

/** How often a Sentinel handed in not yet connected is checked for readiness (node-redis emits no event for it), ms. */
const SENTINEL_READY_POLL_MS = 100;

type Send = (key: string, args: string[]) => Promise<unknown>;

/** node-redis clients are EventEmitters. */
interface Emitter {
  on(event: string, listener: (...args: never[]) => void): unknown;
  off(event: string, listener: (...args: never[]) => void): unknown;
}

// The parts of node-redis' three client types the store uses, beyond NodeRedisClient.
interface StandaloneShape {
  readonly isOpen: boolean;
  readonly isReady: boolean;
  connect(): Promise<unknown>;
  close(): Promise<void>;
  destroy(): void;
  sendCommand(args: string[]): Promise<unknown>;
}
interface ClusterShape {
  readonly isOpen: boolean;
  readonly masters: unknown[];
  nodeClient(node: unknown): Promise<StandaloneShape> | StandaloneShape;
  connect(): Promise<unknown>;
  close(): Promise<void>;
  destroy(): void;
  sendCommand(firstKey: string | undefined, isReadonly: boolean, args: string[]): Promise<unknown>;
}
interface SentinelShape {
  readonly isOpen: boolean;
  readonly isReady: boolean;
  connect(): Promise<unknown>;
  close(): Promise<void>;
  destroy(): Promise<void>;
  sendCommand(isReadonly: boolean, args: string[]): Promise<unknown>;
}

type Topology = 'client' | 'cluster' | 'sentinel';

/** Which of node-redis' clients `client` is: `createCluster` ones have `nodeClient`, `createSentinel` ones `acquire`. */
function topologyOf(client: NodeRedisClient): Topology {
  const shape = client as unknown as Record<string, unknown>;
  if (typeof shape['nodeClient'] === 'function') return 'cluster';
  if (typeof shape['acquire'] === 'function') return 'sentinel';
  if (typeof shape['duplicate'] === 'function' && typeof shape['connect'] === 'function' && 'isReady' in shape)
    return 'client';
  throw new StoreConfigError(
    'this node-redis object is not a client from createClient, createCluster or createSentinel (a client pool is not supported: hand in a client)',
  );
}

function isNoScript(err: unknown): boolean {
  return err instanceof Error && err.message.startsWith('NOSCRIPT');
}

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
  readonly #topology: Topology;
  readonly #send: Send;
  readonly #owned: boolean;
  #seenOpen = false;
  #ended = false;
  #connecting = false;
  #events: LinkEvents | undefined;

  constructor(
    readonly client: NodeRedisClient,
    owned: boolean,
  ) {
    this.#topology = topologyOf(client);
    this.#owned = owned;
    const any = client as unknown;
    switch (this.#topology) {
      case 'client':
        this.#send = (_key, args) => (any as StandaloneShape).sendCommand(args);
        break;
      case 'cluster':
        this.#send = (key, args) => (any as ClusterShape).sendCommand(routingKey(key), false, args);
        break;
      case 'sentinel':
        this.#send = (_key, args) => (any as SentinelShape).sendCommand(false, args);
        break;
    }
    // node-redis throws an `error` event nobody listens to; a client the store created keeps this
    // listener after close(), when the store's own is gone.
    if (owned) (client as unknown as Emitter).on('error', () => {});
  }

  state(): LinkState {
    const { client } = this;
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
    if (!this.#owned || this.#connecting || this.client.isOpen || this.#ended) return;
    this.#connecting = true;
    const client = this.client as unknown as StandaloneShape | ClusterShape | SentinelShape;
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
    const { client } = this;
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
  ): Promise<number> {
    const args = scriptArgs(name, key, tombstone, argv);
    const wait = ['WAIT', String(replicas), String(timeoutMs)];
    // issued in one tick: node-redis writes both at once, WAIT right behind the script
    let written = this.#send(key, args);
    let waited = this.#send(key, wait);
    try {
      await written;
    } catch (err) {
      waited.catch(() => {});
      if (!isNoScript(err)) throw err;
      written = this.#send(key, asEval(name, args));
      waited = this.#send(key, wait);
      await written.catch((again: unknown) => {
        waited.catch(() => {});
        throw again;
      });
    }
    return Number(await waited);
  }

  async hgetall(key: string): Promise<Record<string, string>> {
    const reply = await this.#send(key, ['HGETALL', key]);
    // A null-prototype object: a field named __proto__ stays a field.
    const fields = Object.create(null) as Record<string, string>;
    if (Array.isArray(reply)) {
      // RESP2: field, value, field, value, …
      for (let i = 0; i + 1 < reply.length; i += 2) fields[String(reply[i])] = String(reply[i + 1]);
    } else if (reply instanceof Map) {
      for (const [field, value] of reply) fields[String(field)] = String(value);
    } else if (reply && typeof reply === 'object') {
      // RESP3 maps decode to objects by default
      for (const [field, value] of Object.entries(reply)) fields[field] = String(value);
    }
    return fields;
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

  async close(timeoutMs: number): Promise<void> {
    const client = this.client as unknown as StandaloneShape | ClusterShape | SentinelShape;
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
    const client = this.client as unknown as StandaloneShape | ClusterShape | SentinelShape;
    this.#ended = true;
    if (client.isOpen) void destroy(client);
  }
}

/** Drops every connection of `client` at once; a client already closed (which throws) is left as it is. */
async function destroy(client: StandaloneShape | ClusterShape | SentinelShape): Promise<void> {
  try {
    await client.destroy();
  } catch {
    // closed already
  }
}

/**
 * A key node-redis routes to the Cluster slot Redis gives `key`. node-redis' slot function
 * (cluster-key-slot) skips an empty `{}` and takes the next `{…}` as the hash tag, where Redis
 * hashes such a key whole: for `sess:{}{a}` it would pick another slot than the server, and every
 * retry after MOVED would pick it again. Those keys are routed by a `{tag}` of the right slot.
 */
function routingKey(key: string): string {
  const open = key.indexOf('{');
  if (open === -1 || key.charCodeAt(open + 1) !== 0x7d) return key;
  return `{${tagForSlot(slotOf(key))}}`;
}

/** `EVALSHA sha 2 key tombstone ...argv`, every argument a string (node-redis sends strings and Buffers only). */
function scriptArgs(name: ScriptName, key: string, tombstone: string, argv: ScriptArgs): string[] {
  const args = ['EVALSHA', SHAS[name], '2', key, tombstone];
  // pushed one by one, never spread into a call, whatever the number of arguments
  for (const arg of argv) args.push(typeof arg === 'string' ? arg : String(arg));
  return args;
}

/** The same call as EVAL with the script's text, after the server answered NOSCRIPT. */
function asEval(name: ScriptName, args: string[]): string[] {
  const again = args.slice();
  again[0] = 'EVAL';
  again[1] = SCRIPTS[name];
  return again;
}
