import secureJson from 'secure-json-parse';
import type { SessionData } from '@sessionkit/core';
import { rejected, type Rejected } from './reasons.js';

/**
 * What travels inside the seal. Times are JWT NumericDates: seconds since the epoch, with
 * millisecond fractions.
 *
 * - `iat`: when this seal was made (each re-seal moves it; rolling re-seals are throttled by it)
 * - `exp`: when the seal stops opening, whatever the browser is told
 * - `auth_time`: when the session was issued (created, regenerated, or its user changed); kept
 *   across re-seals, compared with a revocation's "not before"; absent when equal to `iat`
 * - `jti`: the session id (`req.session.id`), new on regenerate
 * - `c`: cookie attributes this session changed from the configured ones (e.g. a longer maxAge)
 * - `s`: the session data
 */
export interface Claims {
  iat: number;
  exp: number;
  auth_time: number;
  /** Absent where sessions have no id (koa-session's cookie sessions). */
  jti?: string;
  c?: CookieOverrides;
  s: SessionData;
}

/** Claims as sealed: `s` appended as JSON text, `auth_time` left out when it equals `iat`. */
export type SealClaims = Omit<Claims, 's' | 'auth_time'> & { auth_time?: number };

/** Cookie attributes one session carries when they differ from the configured ones. */
export interface CookieOverrides {
  originalMaxAge?: number | null;
  path?: string;
  domain?: string;
  httpOnly?: boolean;
  secure?: boolean;
  sameSite?: string | boolean;
  partitioned?: boolean;
  priority?: string;
}

const FORBIDDEN = /__proto__|constructor/;

/** The plaintext of a seal: the claims as JSON. */
export function encodeClaims(claims: Claims): string {
  return JSON.stringify(claims);
}

/**
 * Parses and checks a decrypted plaintext. `__proto__` or `constructor.prototype` anywhere is a
 * rejection (`forbidden-key`), never a polluted prototype; `exp` at or before `nowMs` is `expired`.
 */
export function decodeClaims(text: string, nowMs: number): Claims | Rejected {
  let value: unknown;
  try {
    // The scan for forbidden keys only when one of them appears in the text at all.
    value = FORBIDDEN.test(text)
      ? secureJson.parse(text, undefined, { protoAction: 'error', constructorAction: 'error' })
      : JSON.parse(text);
  } catch (err) {
    return rejected(/prototype|__proto__/i.test((err as Error).message) ? 'forbidden-key' : 'payload');
  }
  if (!isPlainObject(value)) return rejected('payload');
  const { iat, exp, auth_time: authTime, jti, c, s } = value;
  if (!isTime(iat) || !isTime(exp) || !isPlainObject(s)) return rejected('payload');
  if (
    (authTime !== undefined && !isTime(authTime)) ||
    (jti !== undefined && typeof jti !== 'string') ||
    (c !== undefined && !isPlainObject(c))
  ) {
    return rejected('payload');
  }
  if (exp * 1000 <= nowMs) return rejected('expired');
  return {
    iat,
    exp,
    auth_time: (authTime as number | undefined) ?? iat,
    ...(typeof jti === 'string' ? { jti } : {}),
    ...(c === undefined ? {} : { c: c as CookieOverrides }),
    s,
  };
}

/**
 * The JSON text of the data (`s`) inside a plaintext written by {@link encodeClaims} (where `s`
 * comes last and no other claim holds an object with an `s` key), without encoding it again;
 * `undefined` for a plaintext laid out otherwise (a foreign seal), which callers then re-encode.
 */
export function dataTextOf(text: string): string | undefined {
  const at = text.indexOf(',"s":');
  if (at === -1 || text.charCodeAt(text.length - 1) !== 125 /* } */ || text.indexOf('{', 1) < at) return undefined;
  return text.slice(at + 5, -1);
}

/** Milliseconds since the epoch as a NumericDate (seconds, millisecond fraction). */
export function numericDate(ms: number): number {
  return Math.round(ms) / 1000;
}

function isTime(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value) && value > 0;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
