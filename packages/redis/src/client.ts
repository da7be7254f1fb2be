import { StoreConfigError } from '@sessionkit/core';
import type { Cluster, Redis } from 'ioredis';
import { IoredisDriver } from './ioredis-client.js';
import { NodeRedisDriver } from './node-redis-client.js';
import type { ScriptArgs, ScriptName } from './scripts.js';

/** An ioredis `Redis` (standalone, or with `sentinels` + `name`) or `Cluster`. */
export type IoredisClient = Redis | Cluster;

/**
 * A node-redis v5+ client from the `redis` package: `createClient()`, `createCluster()` or
 * `createSentinel()`. Only the members the store relies on are named here, so the type does not
 * need the `redis` package installed.
 */
export interface NodeRedisClient {
  readonly isOpen: boolean;
  sendCommand(...args: never[]): Promise<unknown>;
  // `never` parameters: node-redis types its events with overloads, which any listener signature fits
  on(event: never, listener: never): unknown;
  off(event: never, listener: never): unknown;
}

/** Either client the store drives. */
export type AnyRedisClient = IoredisClient | NodeRedisClient;

/** The Redis client libraries the store drives, as `?client=` names them. */
export const CLIENT_KINDS = ['ioredis', 'node-redis'] as const;
export type ClientKind = (typeof CLIENT_KINDS)[number];

/**
 * Where the client's connection is, as the store sees it:
 * - `ready`: commands can be sent;
 * - `connecting`: (re)connecting on its own;
 * - `idle`: not connecting, and the store may start it (a lazy client) or must wait for its owner;
 * - `ended`: closed for good (quit, or its reconnect strategy gave up).
 */
export type LinkState = 'ready' | 'connecting' | 'idle' | 'ended';

/** What the client's connection does, as {@link RedisDriver.watch} reports it. */
export interface LinkEvents {
  up(): void;
  down(): void;
  ended(): void;
  error(err: unknown): void;
}

/** One SCAN reply: the keys and the node (the server, or one Cluster master) that holds them. */
export interface KeyBatch {
  node: unknown;
  keys: string[];
}

/**
 * The few commands the store sends, the same on either client library: a read is one command,
 * a write one script (EVALSHA, and EVAL again after NOSCRIPT), a touch one PEXPIRE. Each
 * implementation lives in its own file (ioredis-client.ts, node-redis-client.ts).
 */
export interface RedisDriver {
  readonly kind: ClientKind;
  /** A Redis Cluster client: keys of different slots cannot meet in one script. */
  readonly cluster: boolean;
  /** The client handed in or created from the URL. */
  readonly client: AnyRedisClient;
  state(): LinkState;
  /** Starts connecting an `idle` client when the store may (a client it created, or an ioredis lazyConnect one). */
  start(): void;
  /** Follows the connection; returns what stops following it. */
  watch(events: LinkEvents): () => void;
  /** Runs script `name` with KEYS = [key, tombstone] and `argv`, as one command. */
  script(name: ScriptName, key: string, tombstone: string, argv: ScriptArgs): Promise<unknown>;
  /**
   * Runs the script, then `WAIT replicas timeoutMs` on the same master in the same round trip.
   * @returns the script's reply and how many replicas acknowledged. @throws the script's error first, then WAIT's.
   */
  scriptThenWait(
    name: ScriptName,
    key: string,
    tombstone: string,
    argv: ScriptArgs,
    replicas: number,
    timeoutMs: number,
  ): Promise<{ reply: unknown; acknowledged: number }>;
  /** One command (`args[0]` and its arguments) on the master that holds `key`. */
  command(key: string, args: string[]): Promise<unknown>;
  /**
   * Subscribes to `channel` on a connection of its own on every server that reports keys: the
   * server, or each Cluster master. Runs `prepare` on each such connection before subscribing
   * (CONFIG for keyspace notifications). Resolves once every subscription is confirmed, with what
   * ends them.
   * @throws StoreConfigError where the client cannot open such connections.
   */
  subscribeEverywhere(
    channel: string,
    prepare: (send: (args: string[]) => Promise<unknown>, where: string) => Promise<void>,
    onMessage: (message: string) => void,
  ): Promise<() => void>;
  /** The logical database the client uses (0 on a Cluster). */
  readonly database: number;
  /**
   * HGETALL as Redis replies: `[field, value, field, value, …]`, empty for a missing key. Flat,
   * not an object: the caller walks it once, with no dictionary built in between.
   */
  hgetall(key: string): Promise<string[]>;
  get(key: string): Promise<string | null>;
  pexpire(key: string, ttlMs: number): Promise<unknown>;
  /** PTTL: ms the key has left, -1 without expiry, -2 when missing (the near cache bounds entries by it). */
  pttl(key: string): Promise<number>;
  /** Walks every key matching `pattern` with SCAN, on the server or on each Cluster master. */
  scan(pattern: string, count: number): AsyncGenerator<KeyBatch>;
  /** UNLINKs one batch from {@link scan} on the node that holds it. */
  unlink(batch: KeyBatch): Promise<void>;
  /** Closes a client the store created: a graceful quit when connected, at most `timeoutMs`. */
  close(timeoutMs: number): Promise<void>;
  /** Drops a client the store created at once (a store that failed to construct). */
  disconnect(): void;
}

/** Which library `client` comes from, by its shape: ioredis clients have `defineCommand`, node-redis ones `sendCommand` and `isOpen`. */
export function clientKind(client: unknown): ClientKind | undefined {
  if (typeof client !== 'object' || client === null) return undefined;
  const shape = client as Record<string, unknown>;
  if (typeof shape['defineCommand'] === 'function') return 'ioredis';
  if (typeof shape['sendCommand'] === 'function' && typeof shape['on'] === 'function' && 'isOpen' in shape)
    return 'node-redis';
  return undefined;
}

/**
 * The driver for `client`, of the library it comes from.
 * @param owned the store created the client (from a URL): it connects it on first use and closes it.
 * @throws StoreConfigError for anything but an ioredis or node-redis client (see {@link clientKind}).
 */
export function driverFor(client: unknown, owned: boolean): RedisDriver {
  switch (clientKind(client)) {
    case 'ioredis':
      return new IoredisDriver(client as IoredisClient, owned);
    case 'node-redis':
      return new NodeRedisDriver(client as NodeRedisClient, owned);
    default:
      throw notAClient();
  }
}

/** Names the accepted clients, for StoreConfigError messages. */
export function notAClient(): StoreConfigError {
  return new StoreConfigError(
    'RedisSessionStore needs { client }: an ioredis Redis or Cluster, or a node-redis v5 client from createClient, createCluster or createSentinel (or use RedisSessionStore.fromUrl)',
  );
}
