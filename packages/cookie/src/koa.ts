import { EventEmitter } from 'node:events';
import { DEFAULT_TTL_MS, encodeSession, StoreConfigError, type SessionData } from '@sessionkit/core';
import { numericDate } from './claims.js';
import { MAX_SET_COOKIE_BYTES } from './chunks.js';
import { sealTooLarge } from './errors.js';
import type { SecretInput } from './keyring.js';
import { isRejected, type InvalidCookieEvent } from './reasons.js';
import { CookieSealer } from './sealer.js';
import { checkCookieName } from './set-cookie.js';

/** Room left in a koa-session Set-Cookie line for its attributes (path, expires, domain, samesite, secure, httponly). */
export const KOA_ATTRIBUTE_BYTES = 256;

export interface SealedCodecOptions {
  /** Ordered sealing secrets, each at least 32 characters: the first seals, all open. */
  secrets: readonly SecretInput[] | SecretInput;
  /** koa-session's `key` (the cookie name), to size the one cookie it writes. Default `'koa.sess'`. */
  key?: string;
  /** Deflate the payload when that makes it smaller. Default false. */
  compress?: boolean;
  /** Lifetime of the seal for `maxAge: 'session'` cookies, in ms. Default 86400000 (one day). */
  defaultTtlMs?: number;
}

/** koa-session's `encode`/`decode`, plus the `invalid` event. */
export interface SealedCodec {
  /** Seals koa-session's session JSON. @throws SessionTooLargeError above one cookie; SessionEncodeError for data JSON cannot hold. */
  encode(data: SessionData): string;
  /** Opens a cookie value; `null` (koa-session then starts a new session) for anything that does not open. */
  decode(text: string): SessionData | null;
  on(event: 'invalid', listener: (event: InvalidCookieEvent) => void): SealedCodec;
  off(event: 'invalid', listener: (event: InvalidCookieEvent) => void): SealedCodec;
}

/**
 * Encrypted cookies for koa-session without an external store: pass `encode` and `decode` and the
 * cookie holds a JWE (`dir` + `A256GCM`) instead of koa-session's readable base64 JSON.
 *
 * koa-session writes one cookie, so a session sealed larger than one cookie holds (4096 bytes per
 * Set-Cookie line, `KOA_ATTRIBUTE_BYTES` kept for attributes) makes `encode` throw
 * `SessionTooLargeError`; Koa answers 500 and the previous cookie stays. A cookie sealed with an
 * older secret opens, and is re-sealed with the first one the next time koa-session saves the
 * session (a change, `rolling` or `renew`). No revocation here: it needs a store read per request,
 * which koa-session's synchronous `decode` cannot make; use an external store (`koaStore`) for that.
 *
 * @example
 * import session from 'koa-session';
 * const codec = sealedCodec({ secrets: [process.env.SESSION_SECRET!] }); // ≥ 32 characters each
 * codec.on('invalid', ({ reason }) => console.info('session cookie refused:', reason));
 * app.use(session({ key: 'koa.sess', maxAge: 86_400_000, signed: false, encode: codec.encode, decode: codec.decode }, app));
 * @throws StoreConfigError at once for a missing/short/duplicate secret or a bad option.
 */
export function sealedCodec(options: SealedCodecOptions): SealedCodec {
  const sealer = new CookieSealer({
    secrets: options?.secrets,
    ...(options?.compress === undefined ? {} : { compress: options.compress }),
    maxChunks: 1,
  });
  const key = checkCookieName(options.key ?? 'koa.sess');
  const defaultTtlMs = options.defaultTtlMs ?? DEFAULT_TTL_MS;
  if (typeof defaultTtlMs !== 'number' || !Number.isFinite(defaultTtlMs) || defaultTtlMs <= 0) {
    throw new StoreConfigError(
      `defaultTtlMs must be a positive number of milliseconds, got ${String(options.defaultTtlMs)}`,
    );
  }
  const limit = MAX_SET_COOKIE_BYTES - key.length - 1 - KOA_ATTRIBUTE_BYTES;
  const events = new EventEmitter();

  const codec: SealedCodec = {
    encode(data) {
      const now = Date.now();
      const expire = data['_expire'];
      const expMs = typeof expire === 'number' && Number.isFinite(expire) ? expire : now + defaultTtlMs;
      const sealed = sealer.sealText({ iat: numericDate(now), exp: numericDate(expMs) }, encodeSession(data));
      if (sealed.length > limit) throw sealTooLarge(sealed.length, limit, 1, 'koa');
      return sealed;
    },
    decode(text) {
      const opened = sealer.open(text);
      if (isRejected(opened)) {
        events.emit('invalid', { reason: opened.rejected, name: key } satisfies InvalidCookieEvent);
        return null;
      }
      return opened.claims.s;
    },
    on(event, listener) {
      events.on(event, listener);
      return codec;
    },
    off(event, listener) {
      events.off(event, listener);
      return codec;
    },
  };
  return codec;
}
