import { CompactEncrypt } from 'jose';
import { Keyring, type SecretInput } from '../../src/keyring.js';

/** The derived key and key id of one secret, as the package derives them (HKDF-SHA256). */
export function derived(secret: SecretInput): { key: Uint8Array; kid: string } {
  const { key, kid } = new Keyring([secret]).current;
  return { key: new Uint8Array(key), kid };
}

/** A JWE made by jose: any header, any plaintext, any key. */
export function joseSeal(plaintext: string, header: Record<string, unknown>, key: Uint8Array): Promise<string> {
  return new CompactEncrypt(new TextEncoder().encode(plaintext)).setProtectedHeader(header as never).encrypt(key);
}

/** Claims valid for an hour, as JSON text around `s` (already JSON). */
export function claimsText(dataJson: string, { expSeconds = 3600 } = {}): string {
  const now = Date.now() / 1000;
  return `{"iat":${now},"exp":${now + expSeconds},"auth_time":${now},"jti":"jose-made-session","s":${dataJson}}`;
}
