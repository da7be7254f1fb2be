import { StoreConfigError, withTimeout } from '@sessionkit/core';
import type { ChainableCommander, Cluster, Redis } from 'ioredis';
import type { IoredisClient, KeyBatch, LinkEvents, LinkState, RedisDriver } from './client.js';
import { hashFields } from './hash-reply.js';
import { scanKeys, unlinkBatch, type IoredisKeyBatch } from './scan.js';
import { backoff } from './url.js';
import { defineScripts, type ScriptArgs, type ScriptName, type Scripted } from './scripts.js';

/**
 * The store's commands on ioredis. Scripts are defined with `defineCommand`, so ioredis sends
 * EVALSHA and falls back to EVAL after NOSCRIPT by itself; WAIT goes with the script in one
 * pipeline.
 */
export class IoredisDriver implements RedisDriver {
  readonly kind = 'ioredis';
  readonly cluster: boolean;
  readonly database: number;
  #closing = false;

  /**
   * @param owned the store created the client from a URL: if ioredis ends it on its own (seen
   *   during Sentinel failovers), the driver connects it again after a backoff; `close()` stops that.
   * @throws StoreConfigError when the client sets ioredis' `keyPrefix`.
   */
  constructor(
    readonly client: IoredisClient,
    readonly owned = false,
  ) {
    const options = client.options as { keyPrefix?: string; redisOptions?: { keyPrefix?: string } };
    if (options.keyPrefix || options.redisOptions?.keyPrefix) {
      throw new StoreConfigError(
        'the ioredis client has keyPrefix set; hand in a client without it and use the store option prefix instead',
      );
    }
    defineScripts(client);
    this.cluster = client.isCluster;
    this.database = client.isCluster ? 0 : ((client as Redis).options.db ?? 0);
  }

  state(): LinkState {
    switch (this.client.status) {
      case 'ready':
        return 'ready';
      case 'end':
        return 'ended';
      case 'wait':
        return 'idle';
      default:
        return 'connecting';
    }
  }

  start(): void {
    // a lazyConnect client, handed in or created from a URL, connects on the store's first call
    if (this.client.status === 'wait') this.client.connect().catch(() => {});
  }

  watch({ up, down, ended, error }: LinkEvents): () => void {
    const { client } = this;
    client.on('ready', up);
    client.on('close', down);
    const revive = () => {
      ended();
      if (!this.owned || this.#closing) return;
      const timer = setTimeout(() => {
        if (!this.#closing && client.status === 'end') client.connect().catch(() => {});
      }, backoff(1));
      timer.unref();
    };
    client.on('end', revive);
    client.on('error', error);
    return () => {
      client.off('ready', up);
      client.off('close', down);
      client.off('end', revive);
      client.off('error', error);
    };
  }

  script(name: ScriptName, key: string, tombstone: string, argv: ScriptArgs): Promise<unknown> {
    // The arguments go as one array (ioredis flattens it), never spread into a call: a spread of
    // tens of thousands of arguments overflows the stack inside ioredis' auto-pipelining, after
    // it has queued the call's callback, and the batch's replies then reach the wrong callers.
    return (this.client as Scripted<IoredisClient>)[name](key, tombstone, argv);
  }

  async scriptThenWait(
    name: ScriptName,
    key: string,
    tombstone: string,
    argv: ScriptArgs,
    replicas: number,
    timeoutMs: number,
  ): Promise<{ reply: unknown; acknowledged: number }> {
    const pipeline = (this.client.pipeline() as Scripted<ChainableCommander>)
      [name](key, tombstone, argv)
      .wait(replicas, timeoutMs);
    const [written, waited] = (await pipeline.exec()) ?? [];
    if (written?.[0]) throw written[0];
    if (waited?.[0]) throw waited[0];
    return { reply: written?.[1], acknowledged: Number(waited?.[1]) };
  }

  command(_key: string, args: string[]): Promise<unknown> {
    // `call` routes a Cluster command by its key, as the named methods do
    return this.client.call(args[0]!, ...args.slice(1));
  }

  async subscribeEverywhere(
    channel: string,
    prepare: (send: (args: string[]) => Promise<unknown>, where: string) => Promise<void>,
    onMessage: (message: string) => void,
  ): Promise<() => void> {
    const nodes = this.client.isCluster ? (this.client as Cluster).nodes('master') : [this.client as Redis];
    const subscribers: Redis[] = [];
    const stop = () => {
      for (const subscriber of subscribers.splice(0)) subscriber.disconnect();
    };
    try {
      await Promise.all(
        nodes.map(async (node) => {
          // a connection of its own: a subscribed connection can send nothing else
          const subscriber = node.duplicate({ lazyConnect: true });
          subscribers.push(subscriber);
          subscriber.on('error', () => {}); // the store's own link reports outages
          subscriber.on('message', (_channel: string, message: string) => onMessage(message));
          await subscriber.connect();
          await prepare(
            (args) => subscriber.call(args[0]!, ...args.slice(1)),
            `${node.options.host ?? '127.0.0.1'}:${node.options.port ?? 6379}`,
          );
          await subscriber.subscribe(channel);
        }),
      );
    } catch (err) {
      stop();
      throw err;
    }
    return stop;
  }

  async hgetall(key: string): Promise<string[]> {
    // `call` returns the reply as Redis sent it; ioredis's own hgetall builds an object from it
    return hashFields(await this.client.call('HGETALL', key));
  }

  get(key: string): Promise<string | null> {
    return this.client.get(key);
  }

  pexpire(key: string, ttlMs: number): Promise<unknown> {
    return this.client.pexpire(key, ttlMs);
  }

  pttl(key: string): Promise<number> {
    return this.client.pttl(key);
  }

  scan(pattern: string, count: number): AsyncGenerator<KeyBatch> {
    return scanKeys(this.client, pattern, count);
  }

  unlink(batch: KeyBatch): Promise<void> {
    return unlinkBatch(this.client, batch as IoredisKeyBatch);
  }

  async close(timeoutMs: number): Promise<void> {
    this.#closing = true;
    const { client } = this;
    if (client.status === 'end') return;
    const ended = new Promise((resolve) => client.once('end', resolve));
    if (client.status === 'ready') await client.quit().catch(() => client.disconnect());
    else client.disconnect();
    // A Cluster's quit() resolves before its node connections are gone; wait for them (bounded).
    await withTimeout(ended, timeoutMs, 'redis close').catch(() => client.disconnect());
  }

  disconnect(): void {
    this.client.disconnect();
  }
}
