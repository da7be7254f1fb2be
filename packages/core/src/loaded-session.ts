import type { KeyTexts } from './delta.js';
import type { SessionData } from './types.js';

/** Key under which {@link LoadedSession.carry} puts the load into session data. */
export const LOADED_KEY = 'sessionkit:loaded';

/**
 * What one request loaded: the sid, the data, and the stored form the save will be diffed against.
 * The session tracker returns it from `load` and advances it after each write, so a second save
 * in the same request diffs against the first. Adapters keep it next to the request (express's
 * session object, Koa's `ctx`, their own session object), or, where the framework hands the store
 * nothing but the data (@fastify/session, React Router), carry it inside the data under
 * {@link LOADED_KEY}: it has no JSON form, so it is never stored or hashed.
 */
export class LoadedSession {
  /** The session id as loaded. */
  readonly sid: string;
  /** The session, or `null` when absent (also for an invalid sid or stored bytes that do not decode). */
  readonly data: SessionData | null;
  /**
   * True when the store was unreachable and failMode is 'open': `data` is an empty session, a save
   * that only moves the expiry writes nothing, and a real change is merged into whatever is stored.
   */
  readonly degraded: boolean;
  #keys: KeyTexts | (() => KeyTexts);
  #refreshedAt: number | undefined;

  /**
   * @param keys the JSON text of each top-level key as stored, or a function that computes it
   *   (called once, on the first {@link storedKeys}: a request that never saves never pays for it)
   * @param refreshedAt when the stored expiry was last refreshed, epoch ms (see `ExpiryRule.refreshedAt`)
   */
  constructor(
    sid: string,
    data: SessionData | null,
    keys: KeyTexts | (() => KeyTexts),
    refreshedAt: number | undefined,
    degraded = false,
  ) {
    this.sid = sid;
    this.data = data;
    this.degraded = degraded;
    this.#keys = keys;
    this.#refreshedAt = refreshedAt;
  }

  /** The JSON text of each top-level key as stored (computed once, on first call). */
  storedKeys(): KeyTexts {
    const keys = this.#keys;
    if (typeof keys !== 'function') return keys;
    return (this.#keys = keys());
  }

  /** When the stored expiry was last refreshed, epoch ms; `undefined` when unknown. */
  get refreshedAt(): number | undefined {
    return this.#refreshedAt;
  }

  /** Records a write: the stored form is now `keys`, refreshed at `refreshedAt`. */
  advance(keys: KeyTexts, refreshedAt: number | undefined): void {
    this.#keys = keys;
    this.#refreshedAt = refreshedAt;
  }

  /** Puts this load into `data` under {@link LOADED_KEY} (see the class notes) and returns `data`. */
  carry<T extends object>(data: T): T {
    (data as Record<string, unknown>)[LOADED_KEY] = this;
    return data;
  }

  /** The load carried in `data` by {@link carry}, if any. */
  static carriedBy(data: object): LoadedSession | undefined {
    const value = (data as Record<string, unknown>)[LOADED_KEY];
    return value instanceof LoadedSession ? value : undefined;
  }

  /** No JSON form: a carried load is left out of every encoding of the session. */
  toJSON(): undefined {
    return undefined;
  }
}
