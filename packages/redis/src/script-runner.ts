import { SessionDecodeError, SessionTooLargeError } from '@sessionkit/core';
import type { RedisDriver } from './client.js';
import { ReplicationError } from './errors.js';
import type { KeySpace } from './keys.js';
import type { ScriptCall } from './layouts.js';
import type { Link } from './link.js';
import type { NearCache } from './near-cache.js';
import { redactError } from './redact.js';
import type { WaitReplicasOptions } from './store-options.js';

/**
 * How the store's calls reach Redis: one script per session write (with WAIT in the same round
 * trip when `waitReplicas` is on), other commands once the client is ready, and the replies that
 * mean "stored bytes are bad" turned into session errors.
 */
export class ScriptRunner {
  readonly #keys: KeySpace;
  readonly #link: Link;
  readonly #near: NearCache | undefined;
  readonly #waitReplicas: Required<WaitReplicasOptions> | undefined;
  readonly #format: 'hash' | 'json';
  readonly #maxSessionBytes: number;

  constructor(options: {
    keys: KeySpace;
    link: Link;
    near: NearCache | undefined;
    waitReplicas: Required<WaitReplicasOptions> | undefined;
    format: 'hash' | 'json';
    maxSessionBytes: number;
  }) {
    this.#keys = options.keys;
    this.#link = options.link;
    this.#near = options.near;
    this.#waitReplicas = options.waitReplicas;
    this.#format = options.format;
    this.#maxSessionBytes = options.maxSessionBytes;
  }

  /** Runs one script for `sid` (its reply), followed by WAIT in the same round trip when waitReplicas is on. */
  async run(operation: string, sid: string, { script, argv }: ScriptCall): Promise<unknown> {
    const key = this.#keys.session(sid);
    // This store reads its own writes: the entry goes before the write and again once answered.
    this.#near?.drop(key);
    const driver = await this.#link.ready();
    const tombstone = this.#keys.tombstone(sid);
    try {
      if (!this.#waitReplicas) return await driver.script(script, key, tombstone, argv);
      const { count, timeoutMs } = this.#waitReplicas;
      const { reply, acknowledged } = await driver.scriptThenWait(script, key, tombstone, argv, count, timeoutMs);
      if (!(acknowledged >= count)) throw new ReplicationError(acknowledged, count, operation);
      return reply;
    } catch (err) {
      throw this.mapReply(err, sid);
    } finally {
      this.#near?.drop(key);
    }
  }

  /** Runs commands on the client once it is ready, with errors redacted. */
  async command<T>(work: (driver: RedisDriver) => Promise<T>): Promise<T> {
    const driver = await this.#link.ready();
    try {
      return await work(driver);
    } catch (err) {
      throw redactError(err);
    }
  }

  /** Turns the replies that mean "stored bytes are bad" into session errors; the rest pass to the base class, redacted. */
  mapReply(err: unknown, sid: string): unknown {
    const message = err instanceof Error ? err.message : '';
    if (message.startsWith('SESSIONKIT_DECODE ')) {
      return new SessionDecodeError(sid, message.slice('SESSIONKIT_DECODE '.length), { cause: err });
    }
    if (message.startsWith('SESSIONKIT_TOO_LARGE ')) {
      return new SessionTooLargeError(Number(message.slice('SESSIONKIT_TOO_LARGE '.length)), this.#maxSessionBytes);
    }
    if (message.startsWith('WRONGTYPE')) {
      return new SessionDecodeError(
        sid,
        `the key holds another Redis type than format '${this.#format}' writes; is format set to the layout the sessions were written with?`,
        { cause: err },
      );
    }
    return redactError(err);
  }
}
