import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { StickyCookieOptions } from './options.js';

/** A verified sticky cookie. Times are ms since the epoch (stored with 1 s resolution). */
export interface StickyPin {
  backendId: string;
  /** Random id of the client, stable across re-pins; counts distinct clients. */
  clientId: string;
  issuedAt: number;
  lastSeenAt: number;
}

export type CookieCheck =
  | { state: 'absent' }
  | { state: 'valid'; pin: StickyPin }
  /** Signature fine but maxIdle or maxLife passed: re-pin as HAProxy does. */
  | { state: 'expired'; pin: StickyPin }
  /** Malformed or bad signature; `claimed` is the backend id it names, never trusted. */
  | { state: 'invalid'; claimed?: string };

const MAC_BYTES = 16;

/**
 * The sticky cookie value is `<backendId>.<clientId>.<issued>.<lastSeen>.<mac>`: times in
 * base-36 seconds, mac = first 16 bytes of HMAC-SHA256 over the rest, base64url. Backend ids
 * cannot contain dots, so the value splits unambiguously.
 */
export class StickyCookie {
  readonly name: string;
  readonly #secrets: string[];
  readonly #options: StickyCookieOptions;
  constructor(options: StickyCookieOptions) {
    this.#options = options;
    this.name = options.cookie;
    this.#secrets = Array.isArray(options.secret) ? options.secret : [options.secret];
  }

  newClientId(): string {
    return randomBytes(9).toString('base64url');
  }

  check(cookieHeader: string | undefined, now: number): CookieCheck {
    const raw = readCookie(cookieHeader, this.name);
    if (raw === undefined) return { state: 'absent' };
    const parts = raw.split('.');
    const claimed = parts[0];
    if (parts.length !== 5) return { state: 'invalid', ...(claimed ? { claimed } : {}) };
    const [backendId, clientId, issued, lastSeen, mac] = parts as [string, string, string, string, string];
    const body = `${backendId}.${clientId}.${issued}.${lastSeen}`;
    const given = Buffer.from(mac, 'base64url');
    const valid = this.#secrets.some((secret) => {
      const expected = sign(secret, body);
      return given.length === expected.length && timingSafeEqual(given, expected);
    });
    if (!valid) return { state: 'invalid', claimed: backendId };
    const pin = {
      backendId,
      clientId,
      issuedAt: parseInt(issued, 36) * 1000,
      lastSeenAt: parseInt(lastSeen, 36) * 1000,
    };
    const { maxIdleMs, maxLifeMs } = this.#options;
    if (
      (maxIdleMs !== undefined && now - pin.lastSeenAt > maxIdleMs) ||
      (maxLifeMs !== undefined && now - pin.issuedAt > maxLifeMs)
    ) {
      return { state: 'expired', pin };
    }
    return { state: 'valid', pin };
  }

  /**
   * Whether a still-valid cookie should be re-sent to refresh its last-seen time: only with
   * maxIdleMs, and at most every quarter of it, so responses do not all carry Set-Cookie.
   */
  needsRefresh(pin: StickyPin, now: number): boolean {
    const { maxIdleMs } = this.#options;
    return maxIdleMs !== undefined && now - pin.lastSeenAt >= Math.max(1000, maxIdleMs / 4);
  }

  /** A `Set-Cookie` header value for `pin` (session cookie: no Expires, as HAProxy's insert). */
  serialize(pin: StickyPin): string {
    const body = `${pin.backendId}.${pin.clientId}.${seconds(pin.issuedAt)}.${seconds(pin.lastSeenAt)}`;
    const secret = this.#secrets[0] as string;
    const value = `${body}.${sign(secret, body).toString('base64url')}`;
    const attributes = [`${this.name}=${value}`, 'Path=/', 'HttpOnly', `SameSite=${this.#options.sameSite ?? 'Lax'}`];
    if (this.#options.secure) attributes.push('Secure');
    return attributes.join('; ');
  }
}

function sign(secret: string, body: string): Buffer {
  return createHmac('sha256', secret).update(body).digest().subarray(0, MAC_BYTES);
}

function seconds(ms: number): string {
  return Math.floor(ms / 1000).toString(36);
}

/** The value of the first cookie called `name` in a `Cookie` header (no decoding: our values are URL-safe). */
export function readCookie(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name)
      return part
        .slice(eq + 1)
        .trim()
        .replace(/^"(.*)"$/, '$1');
  }
  return undefined;
}

/** The `Cookie` header without cookies called `name`, or undefined when nothing is left. */
export function removeCookie(header: string | undefined, name: string): string | undefined {
  if (!header) return header;
  const kept = header.split(';').filter((part) => {
    const eq = part.indexOf('=');
    return eq <= 0 || part.slice(0, eq).trim() !== name;
  });
  const joined = kept
    .map((p) => p.trim())
    .filter(Boolean)
    .join('; ');
  return joined || undefined;
}
