// `npx tsx bench/src/seal-ops.ts`: what sealing and opening one session costs, in CPU µs per
// operation, without HTTP: @sessionkit/cookie's node:crypto AES-256-GCM, the same JWE through
// jose's WebCrypto path, and iron-session's sealData/unsealData. It is how the cookie package
// chose node:crypto at run time (jose stays in its tests, proving the format both ways).
import { hkdfSync } from 'node:crypto';
import { CompactEncrypt, compactDecrypt } from 'jose';
import { sealData, unsealData } from 'iron-session';
import { CookieSealer } from '@sessionkit/cookie';
import { COOKIE_SECRET } from './backend-config.js';

const OPS = Number(process.env.SEAL_OPS ?? 20_000);
const now = Date.now() / 1000;
const data = { cart: { 'sku-1': 2, 'sku-4': 1, 'sku-6': 3 }, user: { id: 42, name: 'user 42', locale: 'en-GB' } };
const claims = { iat: now, exp: now + 86_400, auth_time: now, jti: 'Zx3kP0qLm9aB7cDe', s: data };
const sealer = new CookieSealer({ secrets: [{ id: 'k1', secret: COOKIE_SECRET }] });
// The key the sealer derives (HKDF-SHA256, as its keyring does), so jose works on the same key.
const key = new Uint8Array(
  hkdfSync('sha256', COOKIE_SECRET, 'sessionkit/cookie', 'sessionkit/cookie dir+A256GCM content encryption key', 32),
);
const ours = sealer.seal(claims);
const plaintext = new TextEncoder().encode(JSON.stringify(claims));
const joseSealed = await new CompactEncrypt(plaintext)
  .setProtectedHeader({ alg: 'dir', enc: 'A256GCM', kid: 'k1' })
  .encrypt(key);
const ironSealed = await sealData(data, { password: COOKIE_SECRET, ttl: 86_400 });

async function measure(label: string, op: () => unknown): Promise<void> {
  for (let i = 0; i < 500; i++) await op();
  const cpu = process.cpuUsage();
  const started = performance.now();
  for (let i = 0; i < OPS; i++) await op();
  const used = process.cpuUsage(cpu);
  const wall = performance.now() - started;
  console.log(
    `${label.padEnd(42)} ${((used.user + used.system) / OPS).toFixed(1).padStart(7)} µs CPU  ${((wall * 1000) / OPS).toFixed(1).padStart(7)} µs wall`,
  );
}

console.log(`${OPS} operations each, one at a time; the seal of a small cart session`);
await measure('@sessionkit/cookie seal (node:crypto)', () => sealer.seal(claims));
await measure('@sessionkit/cookie open (node:crypto)', () => sealer.open(ours));
await measure('jose CompactEncrypt (WebCrypto)', () =>
  new CompactEncrypt(plaintext).setProtectedHeader({ alg: 'dir', enc: 'A256GCM', kid: 'k1' }).encrypt(key),
);
await measure('jose compactDecrypt (WebCrypto)', () => compactDecrypt(joseSealed, key));
// Same format both ways: each opens the other's.
if ('rejected' in sealer.open(joseSealed)) throw new Error('the sealer does not open what jose sealed');
await compactDecrypt(ours, key);
await measure('iron-session sealData', () => sealData(data, { password: COOKIE_SECRET, ttl: 86_400 }));
await measure('iron-session unsealData', () => unsealData(ironSealed, { password: COOKIE_SECRET }));
