import { describe, expect, it } from 'vitest';
import { readCookie, removeCookie, StickyCookie } from '../src/sticky-cookie.js';

const NOW = Date.UTC(2026, 0, 1);
const value = (setCookie: string) => setCookie.split(';')[0]?.split('=')[1] as string;

describe('StickyCookie', () => {
  const cookie = new StickyCookie({
    cookie: 'SKID',
    secret: 'unit-secret-0123456789',
    maxIdleMs: 60_000,
    maxLifeMs: 3_600_000,
  });
  const pin = { backendId: 'a', clientId: 'client1', issuedAt: NOW, lastSeenAt: NOW };
  const header = `SKID=${value(cookie.serialize(pin))}`;

  it('round-trips a pin and sets the attributes', () => {
    expect(cookie.serialize(pin)).toMatch(
      /^SKID=a\.client1\.[0-9a-z]+\.[0-9a-z]+\.[A-Za-z0-9_-]{22}; Path=\/; HttpOnly; SameSite=Lax$/,
    );
    expect(cookie.check(header, NOW + 1000)).toEqual({ state: 'valid', pin });
    expect(cookie.check(undefined, NOW)).toEqual({ state: 'absent' });
    expect(cookie.check('other=1', NOW)).toEqual({ state: 'absent' });
  });

  it('expires after maxIdleMs since last seen and maxLifeMs since issue (HAProxy maxidle/maxlife)', () => {
    expect(cookie.check(header, NOW + 61_000).state).toBe('expired');
    const refreshed = `SKID=${value(cookie.serialize({ ...pin, lastSeenAt: NOW + 3_590_000 }))}`;
    expect(cookie.check(refreshed, NOW + 3_595_000).state).toBe('valid');
    expect(cookie.check(refreshed, NOW + 3_601_000).state).toBe('expired');
  });

  it('refreshes last-seen at most every quarter of maxIdleMs', () => {
    expect(cookie.needsRefresh(pin, NOW + 14_000)).toBe(false);
    expect(cookie.needsRefresh(pin, NOW + 15_000)).toBe(true);
    expect(new StickyCookie({ cookie: 'S', secret: 'unit-secret-0123456789' }).needsRefresh(pin, NOW + 1e9)).toBe(
      false,
    );
  });

  it('rejects forged, truncated and foreign-key cookies, naming what they claim', () => {
    const v = value(cookie.serialize(pin));
    expect(cookie.check(`SKID=${v.replace(/^a\./, 'b.')}`, NOW)).toEqual({ state: 'invalid', claimed: 'b' });
    expect(cookie.check(`SKID=${v.slice(0, -1)}`, NOW).state).toBe('invalid');
    expect(cookie.check('SKID=b', NOW)).toEqual({ state: 'invalid', claimed: 'b' });
    expect(cookie.check('SKID=', NOW)).toEqual({ state: 'invalid' });
    const foreign = new StickyCookie({ cookie: 'SKID', secret: 'another-secret-0123456789' });
    expect(foreign.check(header, NOW).state).toBe('invalid');
  });

  it('verifies with every key of a rotated secret and signs with the first', () => {
    const rotated = new StickyCookie({ cookie: 'SKID', secret: ['new-secret-0123456789', 'unit-secret-0123456789'] });
    expect(rotated.check(header, NOW).state).toBe('valid');
    const fresh = `SKID=${value(rotated.serialize(pin))}`;
    expect(cookie.check(fresh, NOW).state).toBe('invalid');
  });
});

describe('cookie header helpers', () => {
  it('reads and removes one cookie', () => {
    expect(readCookie('a=1; SKID=x.y; b="2"', 'SKID')).toBe('x.y');
    expect(readCookie('a=1; b="2"', 'b')).toBe('2');
    expect(removeCookie('a=1; SKID=x; b=2', 'SKID')).toBe('a=1; b=2');
    expect(removeCookie('SKID=x', 'SKID')).toBeUndefined();
    expect(removeCookie('xSKID=1', 'SKID')).toBe('xSKID=1');
  });
});
