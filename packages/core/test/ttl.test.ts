import { describe, expect, it } from 'vitest';
import { DEFAULT_TTL_MS, ttlFromCookie, ttlFromSession } from '../src/index.js';

const now = Date.parse('2026-01-01T00:00:00Z');

describe('ttlFromCookie', () => {
  it('uses cookie.expires as a Date or an ISO string (express-session stores the string)', () => {
    expect(ttlFromCookie({ expires: new Date(now + 5000) }, DEFAULT_TTL_MS, now)).toBe(5000);
    expect(
      ttlFromCookie({ expires: new Date(now + 5000).toISOString(), originalMaxAge: 9999 }, DEFAULT_TTL_MS, now),
    ).toBe(5000);
  });

  it('falls back to maxAge, then to the default for browser-session cookies', () => {
    expect(ttlFromCookie({ maxAge: 7000 }, DEFAULT_TTL_MS, now)).toBe(7000);
    expect(ttlFromCookie({ expires: null, originalMaxAge: null }, 1234, now)).toBe(1234);
    expect(ttlFromCookie(undefined, undefined, now)).toBe(86_400_000);
  });

  it('gives a negative TTL for an expired cookie, which stores treat as destroy', () => {
    expect(ttlFromCookie({ expires: new Date(now - 1) }, DEFAULT_TTL_MS, now)).toBeLessThan(0);
  });

  it('reads the cookie key of a session', () => {
    expect(ttlFromSession({ cookie: { expires: new Date(now + 10).toISOString() } }, DEFAULT_TTL_MS, now)).toBe(10);
  });
});
