// Over 300 lines: the class docstring (with its mapping table) and the documented protected API stay together.
import { EventEmitter } from 'node:events';
import { DEFAULT_MAX_SESSION_BYTES, encodeSession, normalizeChange, type SessionLimits } from './codec.js';
import { type ErrorKind, isConnectionError, toStoreError } from './error-kind.js';
import { StoreConfigError, isSessionStoreError } from './errors.js';
import {
  DEFAULT_PRINCIPAL_KEYS,
  type PrincipalFunction,
  defaultPrincipal,
  principalOf,
  principalQuery,
} from './principal.js';
import { assertSessionId } from './sid.js';
import { positiveInteger, positiveNumber } from './store-kit.js';
import { boundedSteps, destroyEach, walkEntries, walkPrincipalIds } from './store-walk.js';
import { type CallOwner, DEFAULT_OPERATION_TIMEOUT_MS, settleWithin } from './timeout.js';
import { DEFAULT_MAX_SESSION_KEYS } from './value-rules.js';
import type {
  BaseStoreOptions,
  SessionChange,
  SessionData,
  SessionEntry,
  SessionLifecycleEventName,
  SessionStore,
  WriteOptions,
} from './types.js';

/** Default `tombstoneTtlMs`: a destroyed sid refuses late patches for 5 minutes. */
export const DEFAULT_TOMBSTONE_TTL_MS = 300_000;

/**
 * Base class for stores: validates sids, options and data before anything reaches a backend,
 * turns `ttlMs <= 0` into `destroy`, bounds every call by `operationTimeoutMs`, and maps driver
 * errors by kind (`classifyError`): a lost connection to `StoreUnavailableError`, refused data to
 * `SessionEncodeError`, anything else to `StoreOperationError`. Subclasses implement the
 * `protected` backend operations, which receive validated input only.
 *
 * Principal index: `idsByPrincipal` / `destroyByPrincipal` work on every store. Without an index
 * (a store that does not override `principalIds`) they read every session, O(n) in the number of
 * sessions, each read bounded by `operationTimeoutMs`; stores with an index override
 * `principalIds` and `removeByPrincipal`. Lifecycle events (`created`, `destroyed`, `expired`)
 * are emitted by the store through {@link AbstractSessionStore.lifecycle}.
 *
 * One name per operation at every layer: the public call, the backend operation a subclass
 * implements, and what SQL engines implement (`SqlDialect`):
 *
 * | public | store (protected) | SQL dialect |
 * | --- | --- | --- |
 * | `get` | `read` | `read` |
 * | `set` | `write` | `write` |
 * | `patch` | `merge` | `merge` |
 * | `touch` | `extend` | `extend` |
 * | `destroy` | `remove` | `remove` |
 * | `destroyByPrincipal` | `removeByPrincipal` | `removeByPrincipal` |
 * | `idsByPrincipal` | `principalIds` | `principalIds` (one page) |
 * | `ids` | `scanIds` | `scanIds` (one page) |
 * | `length` | `count` | `count` |
 * | `clear` | `removeAll` | `removeAll` |
 * | `close` | `release` | `release` |
 *
 * Connection state lives in one place, {@link AbstractSessionStore.linkChanged}, which emits
 * `connect` / `disconnect` on each change.
 *
 * @example
 * class MapStore extends AbstractSessionStore {
 *   readonly name = 'map';
 *   readonly #rows = new Map<string, { json: string; expiresAt: number }>();
 *   protected async read(sid: string) {
 *     const row = this.#rows.get(sid);
 *     return row && row.expiresAt > Date.now() ? decodeSession(sid, row.json) : null;
 *   }
 *   protected async write(sid: string, _data: SessionData, json: string, ttlMs: number) {
 *     this.#rows.set(sid, { json, expiresAt: Date.now() + ttlMs });
 *   }
 *   // …merge, extend, remove, scanIds, count and removeAll likewise
 * }
 */
export abstract class AbstractSessionStore extends EventEmitter implements SessionStore, SessionLimits {
  abstract readonly name: string;
  readonly operationTimeoutMs: number;
  readonly maxSessionBytes: number;
  readonly maxSessionKeys: number;
  readonly tombstoneTtlMs: number;
  readonly #principal: PrincipalFunction;
  #principalFailed = false;
  /** Names this store's calls in timeouts and maps their errors (one object, not closures per call). */
  readonly #calls: CallOwner = {
    describeCall: (operation) => `${this.name} ${operation}`,
    mapCallError: (err, operation) => toStoreError(err, `${this.name} ${operation}`, this.classifyError(err)),
    callSettled: (err) => {
      if (this.linkFromCalls) this.linkChanged(err === undefined || !isSessionStoreError(err, 'ERR_STORE_UNAVAILABLE'));
    },
  };
  #linkUp: boolean | undefined;

  constructor(options: BaseStoreOptions = {}) {
    super();
    this.operationTimeoutMs = positiveNumber(
      options.operationTimeoutMs ?? DEFAULT_OPERATION_TIMEOUT_MS,
      'operationTimeoutMs',
    );
    this.maxSessionBytes = positiveInteger(options.maxSessionBytes ?? DEFAULT_MAX_SESSION_BYTES, 'maxSessionBytes');
    this.maxSessionKeys = positiveInteger(options.maxSessionKeys ?? DEFAULT_MAX_SESSION_KEYS, 'maxSessionKeys');
    this.tombstoneTtlMs = positiveNumber(options.tombstoneTtlMs ?? DEFAULT_TOMBSTONE_TTL_MS, 'tombstoneTtlMs');
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

  /**
   * True when the backend's client does not report its connection, so the link is followed from
   * call outcomes: `StoreUnavailableError` (a lost connection or `operationTimeoutMs` passed)
   * marks it down, any other outcome (an answer, a refusal included) marks it up. Default false.
   */
  protected get linkFromCalls(): boolean {
    return false;
  }

  /**
   * Records the backend link's state and emits `connect` (up) or `disconnect` (down) when it
   * changes, never twice in a row. The one place a store's connection state lives: called from
   * call outcomes (`linkFromCalls`) or from the client's own connection reports (Redis).
   */
  protected linkChanged(up: boolean): void {
    if (this.#linkUp === up) return;
    this.#linkUp = up;
    this.emit(up ? 'connect' : 'disconnect');
  }

  /**
   * Stores with a principal index override this: the live sids filed under `principal` (already
   * validated). Each step of the iterator is bounded by `operationTimeoutMs`. Default `undefined`:
   * `idsByPrincipal` then reads every session and compares `principalOf(data)` (O(n)).
   */
  protected principalIds(_principal: string): AsyncIterable<string> | undefined {
    return undefined;
  }

  /**
   * Stores with a principal index override this: destroys (with tombstones, emitting `destroyed`)
   * every live session of `principal` and resolves to how many. Bounded by `operationTimeoutMs`.
   * Default `undefined`: `destroyByPrincipal` then destroys the sids of `idsByPrincipal` one by one.
   */
  protected removeByPrincipal(_principal: string): Promise<number> | undefined {
    return undefined;
  }

  /**
   * One session with its expiry for `entries()`, or `null` when absent. Default: `read` with
   * `expiresAt: null` (unknown); stores that can read the expiry in the same round trip override it.
   */
  protected async readEntry(sid: string): Promise<SessionEntry | null> {
    const data = await this.read(sid);
    return data === null ? null : { sid, data, expiresAt: null };
  }

  // The public methods return rejected promises for bad input rather than throwing, without an
  // async wrapper: they are on every request's path.
  get(sid: string): Promise<SessionData | null> {
    try {
      assertSessionId(sid);
      return this.run('get', this.read(sid));
    } catch (err) {
      return Promise.reject(err);
    }
  }

  set(sid: string, data: SessionData, options: WriteOptions): Promise<void> {
    try {
      assertSessionId(sid);
      const ttlMs = ttlOf(options);
      if (ttlMs <= 0) return this.destroy(sid);
      const json = encodeSession(data, this);
      return this.run('set', this.write(sid, data, json, ttlMs));
    } catch (err) {
      return Promise.reject(err);
    }
  }

  patch(sid: string, change: SessionChange, options: WriteOptions): Promise<void> {
    try {
      assertSessionId(sid);
      const ttlMs = ttlOf(options);
      if (ttlMs <= 0) return this.destroy(sid);
      const normalized = normalizeChange(change, this);
      return this.run('patch', this.merge(sid, normalized, ttlMs));
    } catch (err) {
      return Promise.reject(err);
    }
  }

  touch(sid: string, options: WriteOptions): Promise<void> {
    try {
      assertSessionId(sid);
      const ttlMs = ttlOf(options);
      if (ttlMs <= 0) return this.destroy(sid);
      return this.run('touch', this.extend(sid, ttlMs));
    } catch (err) {
      return Promise.reject(err);
    }
  }

  destroy(sid: string): Promise<void> {
    try {
      assertSessionId(sid);
      return this.run('destroy', this.remove(sid));
    } catch (err) {
      return Promise.reject(err);
    }
  }

  ids(): AsyncIterable<string> {
    return this.#bounded('ids', this.scanIds());
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
   * The live sids of one user. Answered from the store's index when it has one, else by reading
   * every session in batches (O(n); each read bounded by `operationTimeoutMs`). Sessions that do
   * not decode are skipped. A sid is yielded once.
   * @throws InvalidPrincipalError (on the first step) when `id` is not a user id.
   */
  async *idsByPrincipal(id: string | number): AsyncIterable<string> {
    const principal = principalQuery(id);
    const indexed = this.principalIds(principal);
    if (indexed) {
      yield* this.#bounded('idsByPrincipal', indexed);
      return;
    }
    yield* walkPrincipalIds(
      this.ids(),
      principal,
      (sid) => this.get(sid),
      (data) => this.principalOf(data),
    );
  }

  /**
   * Destroys every live session of one user and returns how many it destroyed ("log out
   * everywhere"). Each is tombstoned like `destroy` and emits `destroyed`. With an index this is
   * one bounded backend call; without one it walks as `idsByPrincipal` does, then destroys the
   * sessions found, 64 at a time.
   * @throws InvalidPrincipalError when `id` is not a user id.
   */
  destroyByPrincipal(id: string | number): Promise<number> {
    return attempt(async () => {
      const principal = principalQuery(id);
      const indexed = this.removeByPrincipal(principal);
      if (indexed) return this.run('destroyByPrincipal', indexed);
      return destroyEach(this.idsByPrincipal(principal), (sid) => this.destroy(sid));
    });
  }

  /**
   * Streams live sessions with their expiry (`expiresAt` epoch ms, or `null` when this store cannot
   * tell): those of `sids` when given (absent ones are left out), else every session, read 64 at a
   * time, each read bounded by `operationTimeoutMs`. Sessions that do not decode are skipped and
   * reported as an `error` event carrying the `SessionDecodeError` (with its `sid`). For operators'
   * tools (the `sessionkit` CLI); an app has no need for it.
   * @throws InvalidSessionIdError (on the first step) for an invalid sid in `sids`.
   */
  async *entries(sids?: Iterable<string> | AsyncIterable<string>): AsyncIterable<SessionEntry> {
    yield* walkEntries(
      sids ?? this.ids(),
      (sid) => this.run('entries', this.readEntry(sid)),
      (err) => this.emit('error', err),
    );
  }

  /**
   * Emits a lifecycle event (`created`, `destroyed`, `expired`) with `{ sid, principal? }`. Costs
   * nothing when no one listens. A listener that throws is reported as an `error` event and never
   * fails the store call that emitted it.
   */
  protected lifecycle(event: SessionLifecycleEventName, sid: string, principal?: string): void {
    if (this.listenerCount(event) === 0) return;
    try {
      this.emit(event, principal === undefined ? { sid } : { sid, principal });
    } catch (err) {
      this.emit('error', err);
    }
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
        this.emit(
          'error',
          new StoreConfigError(`principal(data) failed, sessions are kept without a principal: ${String(err)}`),
        );
      }
      return undefined;
    }
  }

  /**
   * True when applying `change` to a session cannot change its principal, so a store can keep the
   * principal it filed the session under without decoding the merged session: the default
   * principal reads only `passport` and `userId`. Always false with a `principal` function of your own.
   */
  protected principalUnchangedBy(change: SessionChange): boolean {
    if (this.#principal !== defaultPrincipal) return false;
    for (const key of DEFAULT_PRINCIPAL_KEYS) {
      if (Object.hasOwn(change.set, key) || change.unset.includes(key)) return false;
    }
    return true;
  }

  /**
   * How a backend error counts (see `ErrorKind`). The default knows Node's and the drivers' lost
   * connection errors; stores add their backend's data errors.
   */
  protected classifyError(err: unknown): ErrorKind {
    return isConnectionError(err) ? 'unavailable' : 'operation';
  }

  /** Walks `iterable` with each step bounded by `operationTimeoutMs` (see `boundedSteps`). */
  #bounded<T>(operation: string, iterable: AsyncIterable<T>): AsyncGenerator<T> {
    return boundedSteps(iterable, (step) => this.run(operation, step));
  }

  /** Runs a backend call under `operationTimeoutMs`, mapping driver errors by `classifyError`. */
  protected run<T>(operation: string, work: Promise<T>): Promise<T> {
    return settleWithin(work, this.operationTimeoutMs, this.#calls, operation);
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
