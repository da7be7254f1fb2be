import { createHash } from 'node:crypto';
import { createStore, StoreConfigError, type SessionData, type SessionStore } from '@sessionkit/core';
import { LRUCache } from 'lru-cache';

/** Names the user a session belongs to; `undefined` for an anonymous session. */
export type PrincipalOf = (data: SessionData) => string | number | undefined | null;

export interface RevocationOptions {
  /** Where "not before" instants are kept: any sessionkit `SessionStore`, or a store URL for `createStore`. */
  store: SessionStore | string;
  /** The user id of a session. Default: `data.passport?.user ?? data.userId`. */
  principal?: PrincipalOf;
  /**
   * How long a revocation record stays, in ms. Default: the session lifetime (`cookie.maxAge`, or
   * `defaultTtlMs` for browser-session cookies). Raise it when some sessions get a longer maxAge
   * of their own (e.g. "remember me").
   */
  ttlMs?: number;
}

/** What a request's check found. */
export type RevocationVerdict = 'valid' | 'revoked';

/** Most principals whose record is cached (`revocationCacheMs > 0`). */
const CACHE_MAX = 10_000;
/** Record keys: valid under every store's sid rules whatever the user id holds. */
const KEY_PREFIX = 'sessionkit-revoked:';

/** The default principal: passport's serialized user, else `userId`. */
export function defaultPrincipal(data: SessionData): string | number | undefined {
  const passport = data['passport'];
  const user = typeof passport === 'object' && passport !== null ? (passport as { user?: unknown }).user : undefined;
  const id = user ?? data['userId'];
  return typeof id === 'string' || typeof id === 'number' ? id : undefined;
}

/**
 * "Log out everywhere" for sealed cookies: `revoke(id)` records "not before now" for a user, and a
 * session issued for that user before that instant no longer opens. One store read per checked
 * request at most, none while a cached answer is younger than `cacheMs`.
 */
export class Revocation {
  readonly store: SessionStore;
  readonly #ownsStore: boolean;
  readonly #principal: PrincipalOf;
  readonly #ttlMs: number;
  readonly #cache: LRUCache<string, { notBefore: number }> | undefined;
  /** One read in flight per principal: concurrent requests of one user share it. */
  readonly #inFlight = new Map<string, Promise<number>>();

  /** @throws StoreConfigError for a missing store, a bad URL, or a bad number. */
  constructor(options: RevocationOptions, lifetimeMs: number, cacheMs: number) {
    if (typeof options !== 'object' || options === null || options.store === undefined) {
      throw new StoreConfigError(
        'revocation.store is required: a SessionStore or a store URL such as redis://127.0.0.1:6379',
      );
    }
    this.#ownsStore = typeof options.store === 'string';
    this.store = typeof options.store === 'string' ? createStore(options.store) : options.store;
    if (typeof this.store.get !== 'function' || typeof this.store.set !== 'function') {
      throw new StoreConfigError('revocation.store must be a sessionkit SessionStore (get/set) or a store URL');
    }
    this.#principal = options.principal ?? defaultPrincipal;
    if (typeof this.#principal !== 'function')
      throw new StoreConfigError('revocation.principal must be a function (data) => user id');
    this.#ttlMs = options.ttlMs ?? lifetimeMs;
    if (!Number.isFinite(this.#ttlMs) || this.#ttlMs <= 0)
      throw new StoreConfigError(`revocation.ttlMs must be a positive number of ms, got ${String(options.ttlMs)}`);
    this.#cache = cacheMs > 0 ? new LRUCache({ max: CACHE_MAX, ttl: cacheMs }) : undefined;
  }

  /** The principal of a session as a string, or undefined when it has none. */
  principalOf(data: SessionData): string | undefined {
    const id = this.#principal(data);
    return id === undefined || id === null || id === '' ? undefined : String(id);
  }

  /**
   * Whether a session of `principal` issued at `issuedAtMs` was revoked since.
   * @throws StoreUnavailableError (or the store's own error) when the record cannot be read.
   */
  async check(principal: string, issuedAtMs: number): Promise<RevocationVerdict> {
    const notBefore = await this.#notBefore(principal);
    return issuedAtMs < notBefore ? 'revoked' : 'valid';
  }

  /**
   * Records "not before now" for user `id`: every session issued for it before this instant stops
   * opening, on every instance (after at most `revocationCacheMs` on instances that cached an answer).
   * @throws StoreUnavailableError when the store cannot be written; nothing was recorded then.
   */
  async revoke(id: string | number): Promise<void> {
    if ((typeof id !== 'string' && typeof id !== 'number') || id === '') {
      throw new StoreConfigError(
        `revokeUser(id) needs the user id as a non-empty string or a number, got ${JSON.stringify(id)}`,
      );
    }
    const principal = String(id);
    const notBefore = Date.now();
    await this.store.set(recordKey(principal), { notBefore }, { ttlMs: this.#ttlMs });
    this.#cache?.set(principal, { notBefore });
  }

  /** Closes the store when it was created here from a URL; a store handed in is left open. */
  async close(): Promise<void> {
    if (this.#ownsStore) await this.store.close();
  }

  #notBefore(principal: string): Promise<number> {
    const cached = this.#cache?.get(principal);
    if (cached) return Promise.resolve(cached.notBefore);
    let pending = this.#inFlight.get(principal);
    if (!pending) {
      pending = this.store.get(recordKey(principal)).then(
        (record) => {
          this.#inFlight.delete(principal);
          const notBefore = notBeforeOf(record);
          this.#cache?.set(principal, { notBefore });
          return notBefore;
        },
        (err: unknown) => {
          this.#inFlight.delete(principal);
          throw err;
        },
      );
      this.#inFlight.set(principal, pending);
    }
    return pending;
  }
}

function notBeforeOf(record: SessionData | null): number {
  const value = record?.['notBefore'];
  return typeof value === 'number' && Number.isFinite(value) ? value : 0;
}

function recordKey(principal: string): string {
  return KEY_PREFIX + createHash('sha256').update(principal, 'utf8').digest('base64url');
}
