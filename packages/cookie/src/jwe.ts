import { createCipheriv, createDecipheriv, randomFillSync } from 'node:crypto';
import secureJson from 'secure-json-parse';
import type { Keyring, SealingKey } from './keyring.js';
import { rejected, type Rejected } from './reasons.js';

// JWE compact serialization (RFC 7516) with `alg: "dir"` and `enc: "A256GCM"` (RFC 7518 §4.5,
// §5.3), done with node:crypto: BASE64URL(header) '.' '' '.' BASE64URL(iv) '.' BASE64URL(ciphertext)
// '.' BASE64URL(tag), the ASCII of the encoded header as additional authenticated data. jose
// opens what this seals and the other way round (test/jose-interop.test.ts).

const IV_BYTES = 12;
const TAG_BYTES = 16;
/** Five base64url segments and their dots, nothing else (a 20 KB value is refused before this). */
const COMPACT = /^[A-Za-z0-9_.-]+$/;
/** Header parameters understood here; anything else is ignored as RFC 7515 §4 says, except `crit`. */
const ALLOWED_ZIP = 'DEF';

// Random IVs come from a pool refilled 512 at a time: one system call per 512 seals.
const IV_POOL = Buffer.alloc(IV_BYTES * 512);
let ivOffset = IV_POOL.length;

function nextIv(): Buffer {
  if (ivOffset === IV_POOL.length) {
    randomFillSync(IV_POOL);
    ivOffset = 0;
  }
  const iv = Buffer.from(IV_POOL.subarray(ivOffset, ivOffset + IV_BYTES));
  ivOffset += IV_BYTES;
  return iv;
}

/** Seals `plaintext` with `key`; `zip` marks it as raw-DEFLATE compressed (`zip: "DEF"`). */
export function sealJwe(key: SealingKey, plaintext: Buffer, zip: boolean): string {
  const iv = nextIv();
  const cipher = createCipheriv('aes-256-gcm', key.key, iv, { authTagLength: TAG_BYTES });
  cipher.setAAD(zip ? key.zipHeaderAad : key.headerAad);
  const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return `${zip ? key.zipHeader : key.header}..${iv.toString('base64url')}.${ciphertext.toString('base64url')}.${cipher.getAuthTag().toString('base64url')}`;
}

/** A JWE that opened: the plaintext, the key that opened it, whether it is compressed. */
export interface OpenedJwe {
  plaintext: Buffer;
  key: SealingKey;
  zip: boolean;
}

/** Opens a JWE compact string sealed by any key of `keyring`, or says why it does not open. */
export function openJwe(keyring: Keyring, jwe: string): OpenedJwe | Rejected {
  // One pass over the whole string: base64url segments and dots only.
  if (!COMPACT.test(jwe)) return rejected('malformed');
  const d1 = jwe.indexOf('.');
  const d2 = jwe.indexOf('.', d1 + 1);
  const d3 = jwe.indexOf('.', d2 + 1);
  const d4 = jwe.indexOf('.', d3 + 1);
  if (d1 === -1 || d2 === -1 || d3 === -1 || d4 === -1 || jwe.indexOf('.', d4 + 1) !== -1) return rejected('malformed');
  const header = jwe.slice(0, d1);

  const known = keyring.byHeader(header);
  const resolved = known ?? resolveHeader(keyring, header);
  if ('rejected' in resolved) return resolved;
  // `dir` has no encrypted key: anything here belongs to another algorithm.
  if (d2 !== d1 + 1) return rejected('alg');
  if (d3 - d2 - 1 !== 16 || jwe.length - d4 - 1 !== 22) return rejected('malformed');

  const aad = known ? (known.zip ? known.key.zipHeaderAad : known.key.headerAad) : Buffer.from(header, 'latin1');
  const decipher = createDecipheriv('aes-256-gcm', resolved.key.key, Buffer.from(jwe.slice(d2 + 1, d3), 'base64url'), {
    authTagLength: TAG_BYTES,
  });
  decipher.setAAD(aad);
  decipher.setAuthTag(Buffer.from(jwe.slice(d4 + 1), 'base64url'));
  try {
    const plaintext = Buffer.concat([
      decipher.update(Buffer.from(jwe.slice(d3 + 1, d4), 'base64url')),
      decipher.final(),
    ]);
    return { plaintext, key: resolved.key, zip: resolved.zip };
  } catch {
    return rejected('tampered');
  }
}

/** A protected header written by someone else (jose, another key order): parsed and checked. */
function resolveHeader(keyring: Keyring, header: string): { key: SealingKey; zip: boolean } | Rejected {
  let parsed: unknown;
  try {
    parsed = secureJson.parse(Buffer.from(header, 'base64url').toString('utf8'), undefined, {
      protoAction: 'error',
      constructorAction: 'error',
    });
  } catch {
    return rejected('header');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return rejected('header');
  const { alg, enc, kid, zip, crit } = parsed as Record<string, unknown>;
  if (alg !== 'dir' || enc !== 'A256GCM') return rejected('alg');
  if (crit !== undefined || (zip !== undefined && zip !== ALLOWED_ZIP)) return rejected('header');
  if (kid === undefined) return rejected('kid-missing');
  const key = typeof kid === 'string' ? keyring.byKid(kid) : undefined;
  if (!key) return rejected('kid-unknown');
  return { key, zip: zip === ALLOWED_ZIP };
}
