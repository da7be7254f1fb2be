import { EventEmitter } from 'node:events';
import { DEFAULT_MAX_SESSION_BYTES, encodeSession, normalizeChange, type SessionLimits } from './codec.js';
import { type ErrorKind, isConnectionError, toStoreError } from './error-kind.js';
import { StoreConfigError } from './errors.js';
import { type PrincipalFunction, defaultPrincipal, principalOf } from './principal.js';
import { assertSessionId } from './sid.js';
import { DEFAULT_OPERATION_TIMEOUT_MS, settleWithin } from './timeout.js';
import { DEFAULT_MAX_SESSION_KEYS } from './value-rules.js';
import type { BaseStoreOptions, SessionChange, SessionData, SessionStore, WriteOptions } from './types.js';

/** Default `tombstoneTtlMs`: a destroyed sid refuses late patches for 5 minutes. */
export const DEFAULT_TOMBSTONE_TTL_MS = 300_000;

/**
 * Base class for stores: validates sids, options and data before anything reaches a backend,
 * turns `ttlMs <= 0` into `destroy`, bounds every call by `operationTimeoutMs`, and maps driver
 * errors by kind (`classifyError`): a lost connection to `StoreUnavailableError`, refused data to
 * `SessionEncodeError`, anything else to `StoreOperationError`. Subclasses implement the
 * `protected` backend operations, which receive validated input only.
 */
export abstract class AbstractSessionStore extends EventEmitter implements SessionStore, SessionLimits {
  abstract readonly name: string;
  readonly operationTimeoutMs: number;
  readonly maxSessionBytes: number;
  readonly maxSessionKeys: number;
  readonly tombstoneTtlMs: number;
  readonly #principal: PrincipalFunction;
  #principalFailed = false;

  constructor(options: BaseStoreOptions = {}) {
    super();
    this.operationTimeoutMs = positive(options.operationTimeoutMs ?? DEFAULT_OPERATION_TIMEOUT_MS, 'operationTimeoutMs');
    this.maxSessionBytes = positive(options.maxSessionBytes ?? DEFAULT_MAX_SESSION_BYTES, 'maxSessionBytes');
    this.maxSessionKeys = positive(options.maxSessionKeys ?? DEFAULT_MAX_SESSION_KEYS, 'maxSessionKeys');
    this.tombstoneTtlMs = positive(options.tombstoneTtlMs ?? DEFAULT_TOMBSTONE_TTL_MS, 'tombstoneTtlMs');
    if (options.principal !== undefined && typeof options.principal !== 'function') {
      throw new StoreConfigError('principal must be a function (data) => user id');
    }
    this.#principal = options.principal ?? defaultPrincipal;
    // An 'error' event with no listener would crash the process; a store must never do that.
    this.on('error', () => {});
  }

  /** Reads and decodes the session; `null` when absent or expired. */
  protected abstract read(sid: string): Promise<SessionData | null>;
  /** Replaces the session with `json` (already validated and size-checked), expiring in `ttlMs`. */
  protected abstract write(sid: string, data: SessionData, json: string, ttlMs: number): Promise<void>;
  /** Applies a normalised change atomically; must respect tombstones left by `remove`. */
  protected abstract merge(sid: string, change: SessionChange, ttlMs: number): Promise<void>;
  /** Extends expiry of an existing session only. */
  protected abstract extend(sid: string, ttlMs: number): Promise<void>;
  /** Deletes the session and leaves a tombstone for `tombstoneTtlMs`. */
  protected abstract remove(sid: string): Promise<void>;
  protected abstract scanIds(): AsyncIterable<string>;
  protected abstract count(): Promise<number>;
  protected abstract removeAll(): Promise<void>;
  /** Releases what the store created. Default: nothing. */
  protected async release(): Promise<void> {}

  // The public methods return rejected promises for bad input rather than throwing, without an
  // async wrapper: they are on every request's path.
  get(sid: string): Promise<SessionData | null> {
    return attempt(() => {
      assertSessionId(sid);
      return this.run('get', this.read(sid));
    });
  }

  set(sid: string, data: SessionData, options: WriteOptions): Promise<void> {
    return attempt(() => {
      assertSessionId(sid);
      const ttlMs = ttlOf(options);
      if (ttlMs <= 0) return this.destroy(sid);
      const json = encodeSession(data, this);
      return this.run('set', this.write(sid, data, json, ttlMs));
    });
  }

  patch(sid: string, change: SessionChange, options: WriteOptions): Promise<void> {
    return attempt(() => {
      assertSessionId(sid);
      const ttlMs = ttlOf(options);
      if (ttlMs <= 0) return this.destroy(sid);
      const normalized = normalizeChange(change, this);
      return this.run('patch', this.merge(sid, normalized, ttlMs));
    });
  }

  touch(sid: string, options: WriteOptions): Promise<void> {
    return attempt(() => {
      assertSessionId(sid);
      const ttlMs = ttlOf(options);
      if (ttlMs <= 0) return this.destroy(sid);
      return this.run('touch', this.extend(sid, ttlMs));
    });
  }

  destroy(sid: string): Promise<void> {
    return attempt(() => {
      assertSessionId(sid);
      return this.run('destroy', this.remove(sid));
    });
  }

  async *ids(): AsyncIterable<string> {
    const iterator = this.scanIds()[Symbol.asyncIterator]();
    for (;;) {
      const step = await this.run('ids', iterator.next());
      if (step.done) return;
      yield step.value;
    }
  }

  length(): Promise<number> {
    return this.run('length', this.count());
  }

  clear(): Promise<void> {
    return this.run('clear', this.removeAll());
  }

  close(): Promise<void> {
    return this.release();
  }

  /**
   * The principal id of `data` from the `principal` option, or `undefined` when anonymous. A
   * principal function that throws, or an id over 256 bytes, counts as anonymous and is reported
   * once as an `error` event: a save never fails because of it.
   */
  protected principalOf(data: SessionData): string | undefined {
    try {
      return principalOf(data, this.#principal);
    } catch (err) {
      if (!this.#principalFailed) {
        this.#principalFailed = true;
        this.emit('error', new StoreConfigError(`principal(data) failed, sessions are kept without a principal: ${String(err)}`));
      }
      return undefined;
    }
  }

  /**
   * How a backend error counts (see `ErrorKind`). The default knows Node's and the drivers' lost
   * connection errors; stores add their backend's data errors.
   */
  protected classifyError(err: unknown): ErrorKind {
    return isConnectionError(err) ? 'unavailable' : 'operation';
  }

  /** Runs a backend call under `operationTimeoutMs`, mapping driver errors by `classifyError`. */
  protected run<T>(operation: string, work: Promise<T>): Promise<T> {
    const what = () => `${this.name} ${operation}`;
    return settleWithin(work, this.operationTimeoutMs, what, (err) => toStoreError(err, what(), this.classifyError(err)));
  }
}

function attempt<T>(work: () => Promise<T>): Promise<T> {
  try {
    return work();
  } catch (err) {
    return Promise.reject(err);
  }
}

function ttlOf(options: WriteOptions): number {
  const ttlMs = options?.ttlMs;
  if (typeof ttlMs !== 'number' || !Number.isFinite(ttlMs)) {
    throw new StoreConfigError(`ttlMs must be a finite number of milliseconds, got ${String(ttlMs)}`);
  }
  return ttlMs;
}

function positive(value: number, name: string): number {
  if (!Number.isFinite(value) || value <= 0) throw new StoreConfigError(`${name} must be a positive number, got ${value}`);
  return value;
}
