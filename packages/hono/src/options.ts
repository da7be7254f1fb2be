import { DEFAULT_TTL_MS, StoreConfigError, type FailMode, type SessionLogger } from '@sessionkit/core';

/** The session cookie's attributes. */
export interface SessionCookieOptions {
  /** Cookie name (RFC 6265 token). Default `'sid'`. */
  name?: string;
  /** Default `'/'`. */
  path?: string;
  /** Default: none (the host that set it). */
  domain?: string;
  /** Default `true`. */
  httpOnly?: boolean;
  /** Default `false`; set `true` when the app is served over HTTPS. */
  secure?: boolean;
  /** Default `'Lax'`. */
  sameSite?: 'Strict' | 'Lax' | 'None';
  /** Adds `Partitioned` (CHIPS). Default `false`. */
  partitioned?: boolean;
  /** Lifetime of the cookie and the stored session, ms; `null` for a browser-session cookie (stored for `defaultTtlMs`). Default 86400000 (one day). */
  maxAgeMs?: number | null;
}

export interface WebSessionOptions {
  /** HMAC-SHA256 key(s) of the cookie signature, each at least 32 characters. An array rotates keys: the first signs, all verify. */
  secret: string | readonly string[];
  cookie?: SessionCookieOptions;
  /**
   * `'open'` (default): while the store is unreachable a request gets an empty session and keeps
   * its cookie; only a real change is written (and fails with 503 while the store is down).
   * `'closed'`: 503.
   */
  failMode?: FailMode;
  /** An unchanged session's stored expiry is refreshed only when it is older than this, ms. Default: 1/10 of the lifetime. */
  touchAfterMs?: number;
  /** Stored lifetime of browser-session cookies (`maxAgeMs: null`), ms. Default 86400000 (one day). */
  defaultTtlMs?: number;
  /** While the store is unreachable, it is probed with one read this often, ms. Default 1000. */
  probeIntervalMs?: number;
  /** Receives one warning per sid whose stored session does not decode. Default `console`. */
  logger?: SessionLogger;
}

export interface ResolvedCookie {
  name: string;
  secrets: string[];
  attributes: string;
  maxAgeMs: number | null;
}

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const ATTRIBUTE_VALUE = /^[^;\s\u0000-\u001f\u007f]+$/;

/** @throws StoreConfigError for a short or missing secret, a bad cookie name, attribute or duration. */
export function resolveCookie(options: WebSessionOptions): ResolvedCookie {
  const secrets = typeof options.secret === 'string' ? [options.secret] : [...(options.secret ?? [])];
  if (secrets.length === 0 || secrets.some((secret) => typeof secret !== 'string' || secret.length < 32)) {
    throw new StoreConfigError(
      'secret must be a string of at least 32 characters, or a non-empty array of them (the first signs, all verify)',
    );
  }
  const cookie = options.cookie ?? {};
  const name = cookie.name ?? 'sid';
  if (!TOKEN.test(name))
    throw new StoreConfigError(`cookie.name ${JSON.stringify(name)} is not a valid cookie name (RFC 6265 token)`);
  const sameSite = cookie.sameSite ?? 'Lax';
  if (!['Strict', 'Lax', 'None'].includes(sameSite))
    throw new StoreConfigError(`cookie.sameSite must be Strict, Lax or None, got ${JSON.stringify(sameSite)}`);
  for (const key of ['path', 'domain'] as const) {
    const value = cookie[key];
    if (value !== undefined && !ATTRIBUTE_VALUE.test(value))
      throw new StoreConfigError(`cookie.${key} ${JSON.stringify(value)} is not a valid attribute value`);
  }
  const maxAgeMs = cookie.maxAgeMs === undefined ? DEFAULT_TTL_MS : cookie.maxAgeMs;
  if (maxAgeMs !== null && (typeof maxAgeMs !== 'number' || !Number.isFinite(maxAgeMs) || maxAgeMs < 1000)) {
    throw new StoreConfigError(
      `cookie.maxAgeMs must be a number of milliseconds >= 1000, or null, got ${String(maxAgeMs)}`,
    );
  }
  const attributes = [
    `Path=${cookie.path ?? '/'}`,
    cookie.domain ? `Domain=${cookie.domain}` : '',
    cookie.httpOnly === false ? '' : 'HttpOnly',
    cookie.secure ? 'Secure' : '',
    `SameSite=${sameSite}`,
    cookie.partitioned ? 'Partitioned' : '',
  ]
    .filter(Boolean)
    .join('; ');
  return { name, secrets, attributes, maxAgeMs };
}

/** @throws StoreConfigError when not a positive number of ms. */
export function defaultTtlOf(options: WebSessionOptions): number {
  const value = options.defaultTtlMs ?? DEFAULT_TTL_MS;
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new StoreConfigError(`defaultTtlMs must be a positive number of milliseconds, got ${String(value)}`);
  }
  return value;
}
