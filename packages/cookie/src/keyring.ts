import { hkdfSync } from 'node:crypto';
import { StoreConfigError } from '@sessionkit/core';

/** A sealing secret: a string, or one with an explicit key id (the JWE `kid`). */
export type SecretInput = string | { id: string; secret: string };

/** Shortest accepted secret, in characters. */
export const MIN_SECRET_LENGTH = 32;

const KEY_ID = /^[A-Za-z0-9._~-]{1,64}$/;
const HKDF_SALT = 'sessionkit/cookie';
const HKDF_INFO = 'sessionkit/cookie dir+A256GCM content encryption key';
const KID_INFO = 'sessionkit/cookie key id';

/** One derived key with its key id and its ready-made protected headers. */
export interface SealingKey {
  readonly kid: string;
  /** 32 bytes from HKDF-SHA256 of the secret. */
  readonly key: Buffer;
  /** Position in the list: 0 seals, every index opens. */
  readonly index: number;
  /** BASE64URL(UTF8(protected header)) without and with `zip: "DEF"`. */
  readonly header: string;
  readonly zipHeader: string;
  /** The same as bytes: the additional authenticated data of each. */
  readonly headerAad: Buffer;
  readonly zipHeaderAad: Buffer;
}

/**
 * The ordered secret list, each derived once with HKDF-SHA256: the first key seals, all open.
 * String secrets get a key id derived from the secret (a one-way hash, never the secret itself).
 */
export class Keyring {
  readonly #keys: SealingKey[];
  readonly #byKid = new Map<string, SealingKey>();
  /** Every protected header this keyring writes, for a lookup without parsing JSON. */
  readonly #byHeader = new Map<string, { key: SealingKey; zip: boolean }>();

  /** @throws StoreConfigError for an empty list, a short secret, a malformed or duplicate id. */
  constructor(secrets: readonly SecretInput[] | SecretInput) {
    const list = Array.isArray(secrets) ? secrets : [secrets];
    if (list.length === 0) {
      throw new StoreConfigError(
        'secrets is empty: give at least one secret of 32 or more characters (e.g. from `openssl rand -base64 32`); the first seals, all open',
      );
    }
    this.#keys = list.map((input, index) => {
      const { id, secret } = normalize(input, index);
      const key = Buffer.from(hkdfSync('sha256', secret, HKDF_SALT, HKDF_INFO, 32));
      const kid = id ?? Buffer.from(hkdfSync('sha256', secret, HKDF_SALT, KID_INFO, 6)).toString('base64url');
      if (this.#byKid.has(kid)) {
        throw new StoreConfigError(
          id === undefined
            ? `secrets[${index}] is the same secret as an earlier entry; list each secret once`
            : `secrets[${index}] repeats the key id ${JSON.stringify(id)}; every id must be unique`,
        );
      }
      const header = encodeHeader({ alg: 'dir', enc: 'A256GCM', kid });
      const zipHeader = encodeHeader({ alg: 'dir', enc: 'A256GCM', kid, zip: 'DEF' });
      const entry: SealingKey = {
        kid,
        key,
        index,
        header,
        zipHeader,
        headerAad: Buffer.from(header, 'latin1'),
        zipHeaderAad: Buffer.from(zipHeader, 'latin1'),
      };
      this.#byKid.set(kid, entry);
      this.#byHeader.set(header, { key: entry, zip: false });
      this.#byHeader.set(zipHeader, { key: entry, zip: true });
      return entry;
    });
  }

  /** The key that seals: the first of the list. */
  get current(): SealingKey {
    return this.#keys[0]!;
  }

  /** Every key, sealing key first. */
  get keys(): readonly SealingKey[] {
    return this.#keys;
  }

  byKid(kid: string): SealingKey | undefined {
    return this.#byKid.get(kid);
  }

  /** The key and compression flag of a protected header exactly as this keyring writes it. */
  byHeader(header: string): { key: SealingKey; zip: boolean } | undefined {
    return this.#byHeader.get(header);
  }
}

function normalize(input: SecretInput, index: number): { id: string | undefined; secret: string } {
  if (typeof input === 'string') return { id: undefined, secret: checkSecret(input, `secrets[${index}]`) };
  if (typeof input !== 'object' || input === null) {
    throw new StoreConfigError(
      `secrets[${index}] must be a string or { id, secret }, got ${input === null ? 'null' : typeof input}`,
    );
  }
  const { id, secret } = input;
  if (typeof id !== 'string' || !KEY_ID.test(id)) {
    throw new StoreConfigError(
      `secrets[${index}].id must be 1 to 64 characters of A-Z a-z 0-9 . _ ~ -, got ${typeof id === 'string' ? JSON.stringify(id) : typeof id}`,
    );
  }
  return { id, secret: checkSecret(secret, `secrets[${index}].secret (id ${JSON.stringify(id)})`) };
}

function checkSecret(secret: unknown, where: string): string {
  if (typeof secret !== 'string')
    throw new StoreConfigError(`${where} must be a string, got ${secret === null ? 'null' : typeof secret}`);
  if (secret.length < MIN_SECRET_LENGTH) {
    throw new StoreConfigError(
      `${where} is ${secret.length} characters; a sealing secret needs at least ${MIN_SECRET_LENGTH} (e.g. from \`openssl rand -base64 32\`)`,
    );
  }
  return secret;
}

function encodeHeader(header: Record<string, string>): string {
  return Buffer.from(JSON.stringify(header), 'utf8').toString('base64url');
}
