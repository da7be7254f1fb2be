import { compactDecrypt, decodeProtectedHeader } from 'jose';
import { describe, expect, it } from 'vitest';
import { CookieSealer } from '../src/index.js';
import { claimsText, derived, joseSeal } from './support/jwe.js';
import { SECRET_A } from './support/http.js';

// The package seals with node:crypto AES-256-GCM (see README, "Why not jose at run time"); these
// tests prove the format is JWE compact as jose reads and writes it, both ways, with and without zip.
const secret = { id: 'k1', secret: SECRET_A };
const { key } = derived(secret);
const data = { user: 'ann', cart: { tea: 2, mug: 1 }, note: 'ünïcødé ✓' };

describe('JWE compact, proven with jose', () => {
  it('jose decrypts what we seal', async () => {
    const sealer = new CookieSealer({ secrets: [secret] });
    const now = Date.now() / 1000;
    const jwe = sealer.seal({ iat: now, exp: now + 60, auth_time: now, jti: 'abc', s: data });
    expect(decodeProtectedHeader(jwe)).toEqual({ alg: 'dir', enc: 'A256GCM', kid: 'k1' });
    const { plaintext, protectedHeader } = await compactDecrypt(jwe, key, {
      keyManagementAlgorithms: ['dir'],
      contentEncryptionAlgorithms: ['A256GCM'],
    });
    expect(protectedHeader.kid).toBe('k1');
    expect(JSON.parse(new TextDecoder().decode(plaintext))).toMatchObject({ jti: 'abc', s: data });
  });

  it('jose decrypts and inflates what we seal compressed (zip DEF)', async () => {
    const sealer = new CookieSealer({ secrets: [secret], compress: true });
    const now = Date.now() / 1000;
    const big = { ...data, items: Array.from({ length: 50 }, (_, i) => ({ sku: `sku-${i}`, qty: 1 })) };
    const jwe = sealer.seal({ iat: now, exp: now + 60, auth_time: now, jti: 'abc', s: big });
    expect(decodeProtectedHeader(jwe)).toEqual({ alg: 'dir', enc: 'A256GCM', kid: 'k1', zip: 'DEF' });
    const { plaintext } = await compactDecrypt(jwe, key);
    expect(JSON.parse(new TextDecoder().decode(plaintext)).s).toEqual(big);
  });

  it('we open what jose seals, plain and compressed', async () => {
    const sealer = new CookieSealer({ secrets: [secret] });
    for (const header of [
      { alg: 'dir', enc: 'A256GCM', kid: 'k1' },
      { kid: 'k1', enc: 'A256GCM', alg: 'dir', zip: 'DEF' },
    ]) {
      const jwe = await joseSeal(claimsText(JSON.stringify(data)), header, key);
      const opened = sealer.open(jwe);
      if ('rejected' in opened) throw new Error(`${JSON.stringify(header)}: ${opened.rejected}`);
      expect(opened.claims.s).toEqual(data);
      expect(opened.rotated).toBe(false);
    }
  });
});
