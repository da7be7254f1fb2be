/** A session: a JSON-safe object. Under express-session, `cookie` is one of its top-level keys. */
export type SessionData = Record<string, unknown>;

/** A change to a session's top-level keys: `set` replaces the listed keys, `unset` removes keys. */
export interface SessionChange {
  set: SessionData;
  unset: string[];
}

/** Expiry of a write, relative to now. */
export interface WriteOptions {
  /** Time to live in milliseconds; the session expires at `now + ttlMs`. `ttlMs <= 0` destroys it. */
  ttlMs: number;
}

/** Events of a store's link to its backend. `error` carries an `Error`; the others no argument. */
export type SessionStoreEvent = 'error' | 'connect' | 'disconnect' | SessionLifecycleEventName;

/**
 * Lifecycle events, each with one {@link SessionLifecycleEvent} argument:
 * - `created`: a `set` or `patch` made a session exist where no live one was;
 * - `destroyed`: `destroy`, `destroyByPrincipal`, a write with `ttlMs <= 0`, or the store's own
 *   bound (memory eviction) removed a live session. `clear()` emits no per-session events;
 * - `expired`: the store found a session whose TTL had passed (on a read or in its sweep).
 * Which events a store can deliver, and how often (at most / at least once), is in its docs.
 */
export type SessionLifecycleEventName = 'created' | 'destroyed' | 'expired';

/** The argument of a lifecycle event. `principal` is there when the store knew whose session it was. */
export interface SessionLifecycleEvent {
  sid: string;
  principal?: string;
}

/** One session as {@link SessionStore.entries} yields it. */
export interface SessionEntry {
  sid: string;
  data: SessionData;
  /** When the session expires, epoch ms; `null` when the store cannot tell. */
  expiresAt: number | null;
}

/**
 * The contract every sessionkit store implements. All methods validate the sid first
 * (`InvalidSessionIdError`) and settle within `operationTimeoutMs` (`StoreUnavailableError`).
 */
export interface SessionStore {
  /** Adapter name: `memory`, `redis`, `sql:postgres`, `sql:mysql`, `sql:sqlite`, `cluster`. */
  readonly name: string;
  /**
   * The session, or `null` when absent or expired. Throws `SessionDecodeError` when stored bytes do not decode.
   * A store should remember the stored form of the object it returns (`decodeSession` does; per-key
   * layouts call `rememberStoredForm(data, fieldTexts)`): the session tracker diffs a later save
   * against it (`storedKeyTexts`), so only the keys a request changed are written.
   */
  get(sid: string): Promise<SessionData | null>;
  /** Replaces the whole session. Throws `SessionEncodeError` / `SessionTooLargeError` before writing anything. */
  set(sid: string, data: SessionData, options: WriteOptions): Promise<void>;
  /**
   * Merges top-level keys atomically: keys in `change.set` are replaced, keys in `change.unset`
   * removed, the rest kept. Creates the session when missing, except within the tombstone window
   * after a `destroy`, so a late save from an earlier request cannot resurrect it.
   */
  patch(sid: string, change: SessionChange, options: WriteOptions): Promise<void>;
  /** Extends the expiry of an existing session; does nothing when it is absent. */
  touch(sid: string, options: WriteOptions): Promise<void>;
  /** Removes the session; idempotent. */
  destroy(sid: string): Promise<void>;
  /** Streams the ids of live sessions in batches; never loads all keys at once. */
  ids(): AsyncIterable<string>;
  /** Number of live sessions. */
  length(): Promise<number>;
  /** Removes every session this store owns (its prefix or table), nothing else. */
  clear(): Promise<void>;
  /** Releases timers and sockets the store created; never closes a client the user handed in. */
  close(): Promise<void>;
  /**
   * Streams the sids of the live sessions of one user: those whose `principal(data)` is `id`
   * (numbers are compared as their string). Stores with a principal index answer from it; the
   * default in `AbstractSessionStore` reads every session (O(n)).
   * @throws InvalidPrincipalError when `id` is not a non-empty string or number of at most 256 UTF-8 bytes.
   */
  idsByPrincipal(id: string | number): AsyncIterable<string>;
  /**
   * Destroys every live session of one user ("log out everywhere") and returns how many it
   * destroyed. Each destroyed session is tombstoned like `destroy`, so a late save from one of
   * the user's requests cannot bring it back.
   * @throws InvalidPrincipalError as `idsByPrincipal` does.
   */
  destroyByPrincipal(id: string | number): Promise<number>;
  /**
   * Optional: streams live sessions with their expiry, those of `sids` when given, else all of
   * them, for operators' tools (the `sessionkit` CLI's `stats`, `show` and `migrate`).
   * `AbstractSessionStore` provides it.
   */
  entries?(sids?: Iterable<string> | AsyncIterable<string>): AsyncIterable<SessionEntry>;
  /** `created` / `destroyed` / `expired` listeners receive one {@link SessionLifecycleEvent}. */
  on(event: SessionStoreEvent, listener: (...args: unknown[]) => void): this;
  off(event: SessionStoreEvent, listener: (...args: unknown[]) => void): this;
}

/** Options every store accepts. */
export interface BaseStoreOptions {
  /**
   * Most top-level keys in a session, or in one change; more throw `SessionEncodeError`. Default 2000.
   * Bounds the per-key work of every backend (Redis hash fields, SQL JSON arguments).
   */
  maxSessionKeys?: number;
  /**
   * Names the user a session belongs to (string id, or `undefined` when anonymous). Default:
   * `data.passport?.user ?? data.userId`, so passport apps need no configuration. Stores that evict
   * (memory, cluster) evict anonymous sessions first.
   */
  principal?: (data: SessionData) => unknown;
  /** Every call settles within this many milliseconds, or rejects with `StoreUnavailableError`. Default 2000. */
  operationTimeoutMs?: number;
  /** Largest encoded session in bytes (UTF-8 JSON); larger writes throw `SessionTooLargeError`. Default 256 KiB. */
  maxSessionBytes?: number;
  /** How long a destroyed sid refuses `patch`/`touch`, in ms. Default 300000 (5 minutes). */
  tombstoneTtlMs?: number;
}
