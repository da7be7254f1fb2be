import { createStore, StoreConfigError, type SessionStore } from '@sessionkit/core';
import type { CookieSessionLogger, CookieSessionOptions, FailMode } from './options.js';

/** Where sessions live: `'cookie://'` (sealed in the browser), a store URL, or a SessionStore. */
export type SessionStrategyStore = 'cookie://' | (string & {}) | SessionStore;

/** The options a `cookie://` URL may carry in its query. */
export interface CookieUrlOptions {
  compress?: boolean;
  maxChunks?: number;
  /** A store URL for revocation (URL-encoded in the query). */
  revocation?: string;
  revocationCacheMs?: number;
  failMode?: FailMode;
}

/** What a framework's `session({ store })` runs on. */
export type SessionStrategy =
  /** Sealed cookies, with the options the URL carried. */
  | { kind: 'cookie'; url: CookieUrlOptions }
  /** A server store; `owned` when made here from a URL (then the framework's `close()` closes it). */
  | { kind: 'server'; store: SessionStore; owned: boolean };

/** The `cookie://` options every framework's `session()` takes under these names. */
export interface CookieStrategyOptions {
  /** `cookie://`: most cookies one session may take. Default 3. */
  maxChunks?: number;
  /** `cookie://`: deflate the sealed payload when smaller. Default false. */
  compress?: boolean;
  /** `cookie://`: "log out everywhere" through a store (`revokeUser`). */
  revocation?: CookieSessionOptions['revocation'];
  /** `cookie://`: cache revocation answers this long, in ms. Default 0. */
  revocationCacheMs?: number;
}

/** What every framework's `session()` names alike, for both strategies. */
export interface SharedStrategyOptions extends CookieStrategyOptions {
  store?: SessionStrategyStore;
  touchAfterMs?: number;
  failMode?: FailMode;
  defaultTtlMs?: number;
  saveUninitialized?: boolean;
  logger?: CookieSessionLogger;
}

/** What each framework names its own way: its secret, cookie name and attributes, its `rolling` default. */
export type FrameworkCookieOptions = Pick<CookieSessionOptions, 'secrets' | 'name' | 'cookie' | 'rolling'>;

const COOKIE_PARAMS = ['compress', 'maxChunks', 'revocation', 'revocationCacheMs', 'failMode'];

/** True for `cookie://` and `cookie://?…` (any case). */
export function isCookieStrategy(store: unknown): store is string {
  return typeof store === 'string' && /^cookie:/i.test(store);
}

/**
 * Chooses the strategy of a framework's `session({ store })`: `cookie://` seals sessions into the
 * cookie; any other URL is `createStore(url)` (its adapter must be imported, as the `sessionkit`
 * package does for all); a `SessionStore` is used as given. Shared by the Express, Fastify and
 * Hono entries, so `SESSION_STORE_URL` means the same on each.
 *
 * @example
 * const strategy = chooseStrategy({ store: process.env.SESSION_STORE_URL ?? 'cookie://' });
 * if (strategy.kind === 'cookie') use(cookieSession(cookieStrategyOptions(strategy.url, options, { secrets })));
 * else use(serverSessions(strategy.store));
 * @throws StoreConfigError for missing options or store, an unknown scheme or a bad `cookie://` parameter.
 */
export function chooseStrategy(
  options: { store?: SessionStrategyStore | undefined } | null | undefined,
): SessionStrategy {
  const store = typeof options === 'object' && options !== null ? options.store : undefined;
  if (store === undefined || store === null || store === '') {
    throw new StoreConfigError(
      "session() needs { store, secret }: store is 'cookie://', a store URL such as redis://127.0.0.1:6379, or a SessionStore",
    );
  }
  if (isCookieStrategy(store)) return { kind: 'cookie', url: parseCookieUrl(store) };
  if (typeof store === 'string') return { kind: 'server', store: createStore(store), owned: true };
  return { kind: 'server', store, owned: false };
}

/**
 * The options of a `cookie://` URL: `cookie://?compress=true&maxChunks=2&revocation=redis%3A%2F%2F127.0.0.1%3A6379&revocationCacheMs=5000&failMode=closed`.
 * @throws StoreConfigError for a URL that does not parse, an unknown parameter, or a value of the wrong kind.
 */
export function parseCookieUrl(url: string): CookieUrlOptions {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new StoreConfigError(
      `cookie store URL ${JSON.stringify(url)} does not parse; expected cookie:// or cookie://?compress=true&maxChunks=3`,
    );
  }
  const out: CookieUrlOptions = {};
  for (const [key, value] of parsed.searchParams) {
    if (!COOKIE_PARAMS.includes(key))
      throw new StoreConfigError(
        `cookie:// has no parameter ${JSON.stringify(key)}; known: ${COOKIE_PARAMS.join(', ')}`,
      );
    if (key === 'compress') {
      if (!['true', 'false', '1', '0'].includes(value))
        throw new StoreConfigError(`cookie://?compress= takes true or false, got ${JSON.stringify(value)}`);
      out.compress = value === 'true' || value === '1';
    } else if (key === 'maxChunks' || key === 'revocationCacheMs') {
      const number = Number(value);
      if (value === '' || !Number.isFinite(number))
        throw new StoreConfigError(`cookie://?${key}= takes a number, got ${JSON.stringify(value)}`);
      out[key] = number;
    } else if (key === 'failMode') {
      // Checked with the other options by cookieSession: 'open' or 'closed'.
      out.failMode = value as FailMode;
    } else {
      out.revocation = value;
    }
  }
  return out;
}

/**
 * The `cookieSession` options of a `cookie://` strategy: the options every framework names alike
 * (`shared`, the framework's own options object), the ones it names its own way (`own`), and
 * what the URL says, which wins (so `SESSION_STORE_URL` alone can turn on compression or
 * revocation). Options left `undefined` take this package's defaults.
 */
export function cookieStrategyOptions(
  url: CookieUrlOptions,
  shared: SharedStrategyOptions,
  own: FrameworkCookieOptions,
): CookieSessionOptions {
  return defined({
    ...own,
    saveUninitialized: shared.saveUninitialized,
    touchAfterMs: shared.touchAfterMs,
    defaultTtlMs: shared.defaultTtlMs,
    logger: shared.logger,
    maxChunks: url.maxChunks ?? shared.maxChunks,
    compress: url.compress ?? shared.compress,
    revocation: url.revocation ? { store: url.revocation } : shared.revocation,
    revocationCacheMs: url.revocationCacheMs ?? shared.revocationCacheMs,
    failMode: url.failMode ?? shared.failMode,
  }) as CookieSessionOptions;
}

/**
 * "Log out everywhere" on a server store: every session of user `id` destroyed.
 * @throws StoreConfigError when the store cannot list a user's sessions (no `destroyByPrincipal`).
 */
export async function destroyUserSessions(store: SessionStore, id: string | number): Promise<void> {
  const destroyByPrincipal = (store as { destroyByPrincipal?: (id: string) => Promise<number> }).destroyByPrincipal;
  if (typeof destroyByPrincipal !== 'function')
    throw new StoreConfigError(`the ${store.name} store cannot list a user's sessions (no destroyByPrincipal)`);
  await destroyByPrincipal.call(store, String(id));
}

/** The entries whose value is not undefined, so each strategy's own defaults apply. */
export function defined<T extends Record<string, unknown>>(values: T): Partial<T> {
  return Object.fromEntries(Object.entries(values).filter(([, value]) => value !== undefined)) as Partial<T>;
}
