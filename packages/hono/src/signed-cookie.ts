import { createHmac, timingSafeEqual } from 'node:crypto';

/** Longest cookie value looked at: a 256-character sid, a dot and a 43-character MAC, with room to spare. */
const MAX_VALUE_LENGTH = 512;

/** Outcome of reading the session cookie. */
export type CookieRead =
  | { state: 'absent' }
  | { state: 'invalid' }
  /** `rotated`: verified with a secret other than the first, so it should be signed again. */
  | { state: 'valid'; sid: string; rotated: boolean };

/**
 * The session cookie value `<sid>.<mac>`: mac = HMAC-SHA256(secret, sid) in base64url. The first
 * secret signs, every secret verifies (rotation: put the new secret first, keep the old ones
 * while their cookies live).
 */
export class CookieSigner {
  readonly #secrets: readonly string[];

  /** @param secrets first signs, all verify; each at least 32 characters (checked by the options). */
  constructor(secrets: readonly string[]) {
    this.#secrets = secrets;
  }

  sign(sid: string): string {
    return `${sid}.${mac(this.#secrets[0]!, sid).toString('base64url')}`;
  }

  /** Verifies a cookie value; never throws. */
  verify(value: string | undefined): CookieRead {
    if (value === undefined || value === '') return { state: 'absent' };
    const dot = value.lastIndexOf('.');
    if (value.length > MAX_VALUE_LENGTH || dot <= 0) return { state: 'invalid' };
    const sid = value.slice(0, dot);
    const given = Buffer.from(value.slice(dot + 1), 'base64url');
    const index = this.#secrets.findIndex((secret) => {
      const expected = mac(secret, sid);
      return given.length === expected.length && timingSafeEqual(given, expected);
    });
    return index < 0 ? { state: 'invalid' } : { state: 'valid', sid, rotated: index > 0 };
  }
}

function mac(secret: string, sid: string): Buffer {
  return createHmac('sha256', secret).update(sid).digest();
}

/** The value of cookie `name` in a `Cookie` header (the first one, as browsers send the most specific first); never throws. */
export function readCookie(header: string | null | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0 || part.slice(0, eq).trim() !== name) continue;
    let value = part.slice(eq + 1).trim();
    if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1);
    return value;
  }
  return undefined;
}
