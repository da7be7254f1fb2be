import { describe, expect, it } from 'vitest';
import { CookieSealer, cookieSession, sealedCodec } from '../src/index.js';
import { SECRET_A, SECRET_B } from './support/http.js';

function configError(make: () => unknown): { code?: string; message: string } {
  try {
    make();
  } catch (err) {
    return err as { code?: string; message: string };
  }
  throw new Error('expected a configuration error at construction');
}

describe('secrets are checked at construction, not at the first request', () => {
  it('refuses an empty list, a missing list, a short secret, a duplicate id or secret', () => {
    const cases: [unknown, RegExp][] = [
      [[], /secrets is empty: give at least one secret of 32 or more characters/],
      [undefined, /secrets is required/],
      [['short secret'], /secrets\[0\] is 12 characters; a sealing secret needs at least 32/],
      [[SECRET_A, 'x'.repeat(31)], /secrets\[1\] is 31 characters/],
      [
        [
          { id: 'k1', secret: SECRET_A },
          { id: 'k1', secret: SECRET_B },
        ],
        /secrets\[1\] repeats the key id "k1"; every id must be unique/,
      ],
      [[SECRET_A, SECRET_A], /secrets\[1\] is the same secret as an earlier entry/],
      [[{ id: 'has space', secret: SECRET_A }], /secrets\[0\]\.id must be 1 to 64 characters/],
      [[{ id: 'k1', secret: 'short' }], /secrets\[0\]\.secret \(id "k1"\) is 5 characters/],
    ];
    for (const [secrets, message] of cases) {
      for (const make of [
        () => cookieSession({ secrets } as never),
        () => sealedCodec({ secrets } as never),
        () => new CookieSealer({ secrets } as never),
      ]) {
        const error = configError(make);
        expect(error.code).toBe('ERR_STORE_CONFIG');
        expect(error.message).toMatch(message);
        // The secret itself never appears in the message.
        expect(error.message).not.toContain(SECRET_A);
      }
    }
  });

  it('refuses other bad options with the option named', () => {
    expect(configError(() => cookieSession({ secrets: [SECRET_A], maxChunks: 0 })).message).toMatch(
      /maxChunks must be a whole number from 1 to 20, got 0/,
    );
    expect(configError(() => cookieSession({ secrets: [SECRET_A], cookie: { maxAge: -1 } })).message).toMatch(
      /cookie\.maxAge must be a number of milliseconds >= 1/,
    );
    expect(configError(() => cookieSession({ secrets: [SECRET_A], name: 'bad name' })).message).toMatch(
      /cookie name must be a token/,
    );
    expect(configError(() => cookieSession({ secrets: [SECRET_A], failMode: 'maybe' as never })).message).toMatch(
      /failMode must be 'open' or 'closed'/,
    );
    expect(configError(() => cookieSession({ secrets: [SECRET_A], revocation: {} as never })).message).toMatch(
      /revocation\.store is required/,
    );
    expect(
      configError(() => cookieSession({ secrets: [SECRET_A], revocation: { store: 'nosuch://x' } })).message,
    ).toMatch(/No session store is registered for "nosuch:"/);
  });

  it('derives one key id per secret; `{ id, secret }` names it', () => {
    const now = Date.now() / 1000;
    const claims = { iat: now, exp: now + 60, auth_time: now, s: {} };
    const header = (jwe: string) =>
      JSON.parse(Buffer.from(jwe.split('.')[0]!, 'base64url').toString()) as { kid: string };
    const a = new CookieSealer({ secrets: [SECRET_A] });
    const b = new CookieSealer({ secrets: [SECRET_B] });
    expect(header(a.seal(claims)).kid).toBe(a.kid);
    expect(a.kid).not.toBe(b.kid);
    expect(a.kid).toBe(new CookieSealer({ secrets: SECRET_A }).kid);
    expect(header(new CookieSealer({ secrets: [{ id: '2026-01', secret: SECRET_A }] }).seal(claims)).kid).toBe(
      '2026-01',
    );
  });
});
