import { EventEmitter } from 'node:events';
import { DEFAULT_MAX_SESSION_BYTES, encodeSession, normalizeChange } from './codec.js';
import { StoreConfigError } from './errors.js';
import { assertSessionId } from './sid.js';
import { DEFAULT_OPERATION_TIMEOUT_MS, settleWithin, toStoreError } from './timeout.js';
import type { BaseStoreOptions, SessionChange, SessionData, SessionStore, WriteOptions } from './types.js';

/** Default `tombstoneTtlMs`: a destroyed sid refuses late patches for 5 minutes. */
export const DEFAULT_TOMBSTONE_TTL_MS = 300_000;

/**
 * Base class for stores: validates sids, options and data before anything reaches a backend,
 * turns `ttlMs <= 0` into `destroy`, bounds every call by `operationTimeoutMs`, and maps driver
 * errors to `StoreUnavailableError`. Subclasses implement the `protected` backend operations,
 * which receive validated input only.
 */
export abstract class AbstractSessionStore extends EventEmitter implements SessionStore {
  abstract readonly name: string;
  readonly operationTimeoutMs: number;
  readonly maxSessionBytes: number;
  readonly tombstoneTtlMs: number;

  constructor(options: BaseStoreOptions = {}) {
    super();
    this.operationTimeoutMs = positive(options.operationTimeoutMs ?? DEFAULT_OPERATION_TIMEOUT_MS, 'operationTimeoutMs');
    this.maxSessionBytes = positive(options.maxSessionBytes ?? DEFAULT_MAX_SESSION_BYTES, 'maxSessionBytes');
    this.tombstoneTtlMs = positive(options.tombstoneTtlMs ?? DEFAULT_TOMBSTONE_TTL_MS, 'tombstoneTtlMs');
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
      const json = encodeSession(data, this.maxSessionBytes);
      return this.run('set', this.write(sid, data, json, ttlMs));
    });
  }

  patch(sid: string, change: SessionChange, options: WriteOptions): Promise<void> {
    return attempt(() => {
      assertSessionId(sid);
      const ttlMs = ttlOf(options);
      if (ttlMs <= 0) return this.destroy(sid);
      const normalized = normalizeChange(change, this.maxSessionBytes);
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

  /** Runs a backend call under `operationTimeoutMs`, mapping driver errors to `StoreUnavailableError`. */
  protected run<T>(operation: string, work: Promise<T>): Promise<T> {
    const what = () => `${this.name} ${operation}`;
    return settleWithin(work, this.operationTimeoutMs, what, (err) => toStoreError(err, what()));
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
