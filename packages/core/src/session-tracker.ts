import { EventEmitter } from 'node:events';
import { Availability, isUnavailable } from './availability.js';
import { changeBetween, dataOf, isEmpty, keyTexts, pick, withoutKeys, type KeyTexts } from './delta.js';
import { StoreConfigError, StoreUnavailableError, isSessionStoreError } from './errors.js';
import { NO_EXPIRY, type ExpiryRule } from './expiry-rule.js';
import { withHttpStatus } from './http-status.js';
import { LoadedSession } from './loaded-session.js';
import { RecentRefreshes } from './recent-refreshes.js';
import { isValidSessionId } from './sid.js';
import { formKeyTexts, storedForm } from './stored-form.js';
import type { SessionData, SessionStore } from './types.js';

/** What a request sees while the store is unreachable: `'open'` an empty session, `'closed'` a 503. */
export type FailMode = 'open' | 'closed';

/** Where the tracker reports sessions it treats as absent. */
export interface SessionLogger {
  warn(message: string): void;
}

export interface SessionTrackerOptions {
  /**
   * `'open'` (default): a request whose load finds the store unreachable gets an empty, degraded
   * session (see {@link LoadedSession.degraded}). `'closed'`: the load rejects with
   * `StoreUnavailableError` carrying `status` 503. Either way, while the store is known to be down
   * loads fail fast, without calling it, until a background probe finds it back.
   */
  failMode?: FailMode;
  /**
   * A save that only moves the expiry writes only when the stored expiry was refreshed at least
   * this many ms ago. Default: 1/10 of the save's `ttlMs`. `0` refreshes on every save.
   */
  touchAfterMs?: number;
  /** While the store is unreachable it is probed with one read this often, ms. Default 1000. */
  probeIntervalMs?: number;
  /** Receives one warning per sid whose stored session is treated as absent. Default `console`. */
  logger?: SessionLogger;
  /** Where the framework keeps the expiry inside the session. Default {@link NO_EXPIRY}. */
  expiry?: ExpiryRule;
  /** A reason to treat a stored session as absent (warned once per sid), or `undefined` to accept it. */
  accept?: (data: SessionData) => string | undefined;
}

/** Options of one save. */
export interface SaveOptions {
  /** Time to live of the stored session from now, ms; `<= 0` destroys it. */
  ttlMs: number;
  /** What this request loaded for the sid; without it (or for another sid) the whole session is written with `set`. */
  load?: LoadedSession | undefined;
}

/** What a save did, and the load to pass to the next save of the same session in this request. */
export interface SaveOutcome {
  /** `'none'`: nothing to write (unchanged, refreshed recently, or degraded and only the expiry moved). */
  write: 'set' | 'patch' | 'touch' | 'none';
  load: LoadedSession;
}

/** Most sids remembered for "warn once per sid"; bounded, so warnings may repeat after it fills. */
const WARNED_SIDS_MAX = 1000;

/**
 * The framework-free core under every adapter (Express, Koa, Fastify, Hono, React Router): loads a
 * session by sid, remembers its stored form, diffs at save time and writes only the changed
 * top-level keys (`patch`), throttles expiry-only saves (`touchAfterMs`), fails fast while the
 * store is down, and gives store errors their HTTP status (see `httpStatusOf`). An adapter maps
 * its framework's store calls onto `load`, `save`, `refresh` and `destroy`.
 *
 * Every rejection carries `status` / `statusCode`: 503 for `StoreUnavailableError`, 400 for
 * `SessionEncodeError`, `SessionTooLargeError`, `InvalidSessionIdError`. Emits `'up'` and
 * `'down'` when the store's availability changes.
 *
 * @throws StoreConfigError for an invalid option.
 * @example
 * const tracker = new SessionTracker(store, { expiry: cookieExpiry() });
 * const load = await tracker.load(sid);            // load.data: the session or null
 * // ... the request changes the session ...
 * await tracker.save(sid, session, { ttlMs: 86_400_000, load }); // patch of the changed keys only
 */
export class SessionTracker extends EventEmitter {
  readonly store: SessionStore;
  readonly failMode: FailMode;
  readonly #touchAfterMs: number | undefined;
  readonly #logger: SessionLogger;
  readonly #expiry: ExpiryRule;
  readonly #accept: ((data: SessionData) => string | undefined) | undefined;
  readonly #availability: Availability;
  readonly #refreshes = new RecentRefreshes();
  readonly #warned = new Set<string>();

  constructor(store: SessionStore, options: SessionTrackerOptions = {}) {
    super();
    const failMode = options.failMode ?? 'open';
    if (failMode !== 'open' && failMode !== 'closed') {
      throw new StoreConfigError(`failMode must be 'open' or 'closed', got ${JSON.stringify(failMode)}`);
    }
    this.store = store;
    this.failMode = failMode;
    this.#touchAfterMs =
      options.touchAfterMs === undefined ? undefined : duration(options.touchAfterMs, 'touchAfterMs', 0);
    this.#logger = options.logger ?? console;
    this.#expiry = options.expiry ?? NO_EXPIRY;
    this.#accept = options.accept;
    this.#availability = new Availability(store, duration(options.probeIntervalMs ?? 1000, 'probeIntervalMs', 1));
    this.#availability.on('down', () => this.emit('down'));
    this.#availability.on('up', () => this.emit('up'));
  }

  /** True while the store is believed reachable (its events and the outcome of the last call). */
  get available(): boolean {
    return this.#availability.isUp;
  }

  /**
   * Loads a session. Never rejects for an invalid sid (no store call), an absent or expired
   * session, stored bytes that do not decode, or data `accept` refuses: those load as absent
   * (`data: null`; the last two warned once per sid). While the store is unreachable: failMode
   * 'open' resolves a degraded empty session, 'closed' rejects with `StoreUnavailableError` (503).
   */
  async load(sid: string): Promise<LoadedSession> {
    if (!isValidSessionId(sid)) return absent(sid);
    if (!this.#availability.isUp) return this.#unavailable(sid, this.downError());
    let data: SessionData | null;
    try {
      data = await this.store.get(sid);
    } catch (err) {
      if (isUnavailable(err)) {
        this.#availability.markDown();
        return this.#unavailable(sid, err);
      }
      if (!isSessionStoreError(err, 'ERR_SESSION_DECODE')) throw withHttpStatus(err);
      this.#warnOnce(sid, `stored session ${sid} does not decode; treating it as absent (${(err as Error).message})`);
      return absent(sid);
    }
    this.#availability.markUp();
    if (data === null) return absent(sid);
    const refused = this.#accept?.(data);
    if (refused !== undefined) {
      this.#warnOnce(sid, `stored session ${sid} ${refused}; treating it as absent`);
      return absent(sid);
    }
    // Stores remember what they decoded a session from: the diff at save time starts from that,
    // so a request that never saves costs no encoding. Other stores get a snapshot now.
    const form = storedForm(data);
    const keys = form === undefined ? keyTexts(data) : typeof form === 'string' ? () => formKeyTexts(form) : form;
    return new LoadedSession(sid, data, keys, this.#expiry.refreshedAt(data));
  }

  /**
   * Saves `current` (the session as the request left it; `toJSON` honoured, keys without a JSON
   * form left out): through `set` when `load` is not this sid's load, else through `patch` with
   * only the changed and removed top-level keys. A change that only moves the expiry is a
   * {@link refresh}. After a degraded load, only a real change is written, merged into what is stored.
   */
  async save(sid: string, current: object, options: SaveOptions): Promise<SaveOutcome> {
    try {
      const texts = keyTexts(current);
      const load = options.load?.sid === sid ? options.load : undefined;
      if (!load) {
        await this.store.set(sid, dataOf(texts), { ttlMs: options.ttlMs });
        this.#availability.markUp();
        const refreshedAt = this.#expiry.refreshedAt(current);
        this.#noteRefresh(sid, refreshedAt);
        return { write: 'set', load: new LoadedSession(sid, null, texts, refreshedAt) };
      }
      const stored = load.storedKeys();
      let change = changeBetween(stored, texts);
      if (load.degraded) {
        change = withoutKeys(change, this.#expiry.keys);
        if (isEmpty(change)) return { write: 'none', load };
      } else if (isEmpty(change) || this.#expiry.onlyExpiry(change, stored)) {
        return await this.#refresh(sid, current, texts, load, options.ttlMs);
      }
      await this.store.patch(sid, change, { ttlMs: options.ttlMs });
      this.#availability.markUp();
      const refreshedAt = this.#expiry.refreshedAt(current);
      load.advance(texts, refreshedAt);
      this.#noteRefresh(sid, refreshedAt);
      return { write: 'patch', load };
    } catch (err) {
      throw this.#failed(err);
    }
  }

  /**
   * Refreshes the stored expiry of a session the request did not change, unless it was refreshed
   * less than `touchAfterMs` ago: the expiry keys are rewritten (`patch`), so the next load can
   * read when; a session without an expiry of its own is `touch`ed.
   */
  async refresh(sid: string, current: object, options: SaveOptions): Promise<SaveOutcome> {
    try {
      const load = options.load?.sid === sid ? options.load : undefined;
      return await this.#refresh(sid, current, undefined, load, options.ttlMs);
    } catch (err) {
      throw this.#failed(err);
    }
  }

  /** Removes a session; idempotent, and a no-op for an invalid sid (nothing can be stored under it). */
  async destroy(sid: string): Promise<void> {
    if (!isValidSessionId(sid)) return;
    this.#refreshes.delete(sid);
    try {
      await this.store.destroy(sid);
      this.#availability.markUp();
    } catch (err) {
      throw this.#failed(err);
    }
  }

  /** Passes a store call through the availability tracking; rejections get their HTTP status. */
  observe<T>(work: Promise<T>): Promise<T> {
    return this.#availability.observe(work).catch((err: unknown) => Promise.reject(withHttpStatus(err)));
  }

  /** The error a request gets while the store is known to be down (failMode 'closed'), with status 503. */
  downError(): StoreUnavailableError {
    return withHttpStatus(
      new StoreUnavailableError(
        `session store ${this.store.name} is unavailable (failMode '${this.failMode}'); retrying in the background`,
      ),
    );
  }

  // The store calls below are awaited directly and their outcome recorded here, rather than passed
  // through `Availability.observe`: one promise less on every request.
  async #refresh(
    sid: string,
    current: object,
    texts: KeyTexts | undefined,
    load: LoadedSession | undefined,
    ttlMs: number,
  ): Promise<SaveOutcome> {
    const now = Date.now();
    const refreshedAt = this.#expiry.refreshedAt(current);
    const ownExpiry = refreshedAt !== undefined;
    const last = ownExpiry ? load?.refreshedAt : this.#refreshes.get(sid);
    const touchAfterMs = this.#touchAfterMs ?? ttlMs / 10;
    const result = load ?? new LoadedSession(sid, null, () => texts ?? keyTexts(current), undefined);
    if (last !== undefined && now - last < touchAfterMs) return { write: 'none', load: result };
    if (!ownExpiry) {
      await this.store.touch(sid, { ttlMs });
      this.#availability.markUp();
      this.#refreshes.set(sid, now);
      return { write: 'touch', load: result };
    }
    const expiryTexts = keyTexts(pick(current, this.#expiry.keys));
    await this.store.patch(sid, { set: dataOf(expiryTexts), unset: [] }, { ttlMs });
    this.#availability.markUp();
    const stored = new Map(result.storedKeys());
    for (const [key, text] of expiryTexts) stored.set(key, text);
    result.advance(stored, refreshedAt);
    return { write: 'patch', load: result };
  }

  /** A failed save, refresh or destroy: a store found unreachable marks it down; the error gets its HTTP status. */
  #failed(err: unknown): unknown {
    if (isUnavailable(err)) this.#availability.markDown();
    return withHttpStatus(err);
  }

  #unavailable(sid: string, err: unknown): LoadedSession {
    if (this.failMode === 'closed') throw withHttpStatus(err);
    return new LoadedSession(sid, {}, noKeys, undefined, true);
  }

  /** After a write: a session without an expiry of its own (`refreshedAt` undefined) is remembered here. */
  #noteRefresh(sid: string, refreshedAt: number | undefined): void {
    if (refreshedAt === undefined) this.#refreshes.set(sid, Date.now());
  }

  #warnOnce(sid: string, message: string): void {
    if (this.#warned.has(sid)) return;
    if (this.#warned.size >= WARNED_SIDS_MAX) this.#warned.clear();
    this.#warned.add(sid);
    this.#logger.warn(`[sessionkit] ${message}`);
  }
}

const noKeys = (): KeyTexts => new Map();

function absent(sid: string): LoadedSession {
  return new LoadedSession(sid, null, noKeys, undefined);
}

function duration(value: number, name: string, min: number): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min) {
    throw new StoreConfigError(`${name} must be a number of milliseconds >= ${min}, got ${String(value)}`);
  }
  return value;
}
