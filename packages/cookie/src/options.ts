import { DEFAULT_TTL_MS, StoreConfigError } from '@sessionkit/core';
import type { SecretInput } from './keyring.js';
import type { RevocationOptions } from './revocation.js';
import { checkAttributeValue, checkCookieName, type CookieAttributes } from './set-cookie.js';

/** What happens to requests while the revocation store cannot be read. */
export type FailMode = 'open' | 'closed';

/** Where the middleware reports what it cannot report to a request (a cookie it could not write after the headers went out). */
export interface CookieSessionLogger {
  warn(message: string): void;
}

/** The `cookie` option: as express-session's, in milliseconds. */
export interface CookieOptions {
  /** Lifetime in ms; `null` for a browser-session cookie (the seal still expires after `defaultTtlMs`). Default 86400000 (one day). */
  maxAge?: number | null;
  /** Absolute expiry instead of `maxAge`. */
  expires?: Date | null;
  /** Default `/`. */
  path?: string;
  domain?: string;
  /** Default true. */
  httpOnly?: boolean;
  /** `true`, `false` (default) or `'auto'` (Secure when the request came over HTTPS). A Secure cookie is not sent over plain HTTP. */
  secure?: boolean | 'auto';
  /** Default `'lax'`. `true` means `'strict'`, `false` leaves the attribute out. */
  sameSite?: 'lax' | 'strict' | 'none' | boolean;
  partitioned?: boolean;
  priority?: 'low' | 'medium' | 'high';
}

export interface CookieSessionOptions {
  /**
   * Ordered sealing secrets, each at least 32 characters: the first seals, all open. Rotate by
   * putting a new secret first and keeping the old one until its cookies expired.
   * `string[]` or `{ id, secret }[]` (the id becomes the JWE `kid`).
   */
  secrets: readonly SecretInput[] | SecretInput;
  /** Cookie name; chunks are `name.1`, `name.2`, … Default `'session'`. */
  name?: string;
  cookie?: CookieOptions;
  /** Re-seal with a fresh expiry on requests that change nothing (no more often than `touchAfterMs`). Default false. */
  rolling?: boolean;
  /** A rolling re-seal waits until the last seal is this many ms old. Default: 1/10 of the lifetime. `0`: every request. */
  touchAfterMs?: number;
  /** Send a cookie for a new session that holds nothing. Default false. */
  saveUninitialized?: boolean;
  /** Lifetime of the seal for browser-session cookies (`maxAge: null`), in ms. Default 86400000 (one day). */
  defaultTtlMs?: number;
  /** Most cookies one session may take. Default 3 (Node refuses request headers over 16 KB by default). */
  maxChunks?: number;
  /** Deflate the payload when that makes it smaller. Default false. */
  compress?: boolean;
  /** "Log out everywhere": `{ store, principal }`; enables `revokeUser(id)`. */
  revocation?: RevocationOptions & { revocationCacheMs?: number; failMode?: FailMode };
  /** Cache each user's revocation record this long, in ms: fewer store reads, a revocation takes up to this long to apply. Default 0 (one read per request of a signed-in user). */
  revocationCacheMs?: number;
  /** While the revocation store cannot be read: `'open'` (default) accepts the cookie, `'closed'` answers 503. */
  failMode?: FailMode;
  /** Default `console`. */
  logger?: CookieSessionLogger;
}

export interface ResolvedOptions {
  name: string;
  attributes: CookieAttributes;
  /** `undefined`: browser-session cookie. */
  maxAge: number | null;
  expires: Date | null;
  lifetimeMs: number;
  rolling: boolean;
  touchAfterMs: number;
  saveUninitialized: boolean;
  defaultTtlMs: number;
  revocationCacheMs: number;
  failMode: FailMode;
  logger: CookieSessionLogger;
}

export const DEFAULT_COOKIE_NAME = 'session';
export const DEFAULT_MAX_AGE_MS = 86_400_000;

/** @throws StoreConfigError for any option out of range; the message names the option. */
export function resolveOptions(options: CookieSessionOptions): ResolvedOptions {
  if (typeof options !== 'object' || options === null)
    throw new StoreConfigError('cookieSession(options) needs an options object with `secrets`');
  const cookie = options.cookie ?? {};
  const name = checkCookieName(options.name ?? DEFAULT_COOKIE_NAME);
  const maxAge = cookie.maxAge === undefined ? (cookie.expires ? null : DEFAULT_MAX_AGE_MS) : cookie.maxAge;
  if (maxAge !== null) duration(maxAge, 'cookie.maxAge', 1);
  const expires = cookie.expires ?? null;
  if (expires !== null && !(expires instanceof Date && Number.isFinite(expires.getTime()))) {
    throw new StoreConfigError(`cookie.expires must be a valid Date, got ${String(expires)}`);
  }
  const defaultTtlMs = duration(options.defaultTtlMs ?? DEFAULT_TTL_MS, 'defaultTtlMs', 1);
  const lifetimeMs = maxAge ?? defaultTtlMs;
  const sameSite =
    cookie.sameSite === undefined
      ? 'lax'
      : cookie.sameSite === true
        ? 'strict'
        : cookie.sameSite === false
          ? undefined
          : cookie.sameSite;
  if (sameSite !== undefined && !['lax', 'strict', 'none'].includes(sameSite)) {
    throw new StoreConfigError(
      `cookie.sameSite must be 'lax', 'strict', 'none' or a boolean, got ${JSON.stringify(cookie.sameSite)}`,
    );
  }
  const secure = cookie.secure ?? false;
  if (secure !== true && secure !== false && secure !== 'auto')
    throw new StoreConfigError(`cookie.secure must be true, false or 'auto', got ${JSON.stringify(secure)}`);
  if (cookie.priority !== undefined && !['low', 'medium', 'high'].includes(cookie.priority)) {
    throw new StoreConfigError(
      `cookie.priority must be 'low', 'medium' or 'high', got ${JSON.stringify(cookie.priority)}`,
    );
  }
  const attributes: CookieAttributes = {
    path: checkAttributeValue(cookie.path ?? '/', 'path')!,
    domain: checkAttributeValue(cookie.domain, 'domain'),
    httpOnly: cookie.httpOnly ?? true,
    secure,
    sameSite,
    partitioned: cookie.partitioned ?? false,
    priority: cookie.priority,
  };
  const revocation = options.revocation;
  const revocationCacheMs = duration(
    pick(options.revocationCacheMs, revocation?.revocationCacheMs, 'revocationCacheMs') ?? 0,
    'revocationCacheMs',
    0,
  );
  const failMode = pick(options.failMode, revocation?.failMode, 'failMode') ?? 'open';
  if (failMode !== 'open' && failMode !== 'closed')
    throw new StoreConfigError(`failMode must be 'open' or 'closed', got ${JSON.stringify(failMode)}`);
  return {
    name,
    attributes,
    maxAge,
    expires,
    lifetimeMs,
    rolling: options.rolling ?? false,
    touchAfterMs:
      options.touchAfterMs === undefined ? lifetimeMs / 10 : duration(options.touchAfterMs, 'touchAfterMs', 0),
    saveUninitialized: options.saveUninitialized ?? false,
    defaultTtlMs,
    revocationCacheMs,
    failMode,
    logger: options.logger ?? console,
  };
}

function duration(value: unknown, name: string, min: number): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min) {
    throw new StoreConfigError(`${name} must be a number of milliseconds >= ${min}, got ${String(value)}`);
  }
  return value;
}

/** An option given at the top level or inside `revocation`: either place, not two different values. */
function pick<T>(top: T | undefined, nested: T | undefined, name: string): T | undefined {
  if (top !== undefined && nested !== undefined && top !== nested) {
    throw new StoreConfigError(
      `${name} is given twice with different values (top level and revocation.${name}); give it once`,
    );
  }
  return top ?? nested;
}
