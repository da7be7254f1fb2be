import { deflateRawSync, inflateRawSync } from 'node:zlib';
import { DEFAULT_MAX_SESSION_BYTES, StoreConfigError } from '@sessionkit/core';
import { dataTextOf, decodeClaims, encodeClaims, type Claims, type SealClaims } from './claims.js';
import { joinChunks } from './chunks.js';
import { openJwe, sealJwe } from './jwe.js';
import { Keyring, type SecretInput } from './keyring.js';
import { isRejected, rejected, type Rejected } from './reasons.js';

/** Default and largest `maxChunks`. */
export const DEFAULT_MAX_CHUNKS = 3;
const MAX_MAX_CHUNKS = 20;

export interface CookieSealerOptions {
  /**
   * Ordered sealing secrets, each at least 32 characters: the first seals, every one opens. Plain
   * strings get a key id derived from the secret; `{ id, secret }` names the key (`kid`) yourself.
   */
  secrets: readonly SecretInput[] | SecretInput;
  /** Deflate the payload (`zip: "DEF"`) when that makes the seal smaller. Default false. */
  compress?: boolean;
  /** Most cookies one session may take (`name`, `name.1`, …). Default 3. */
  maxChunks?: number;
}

/** A session cookie that opened. */
export interface OpenedSeal {
  claims: Claims;
  /** Opened with a key other than the first: re-seal with the current key. */
  rotated: boolean;
  /** How many cookies it came in. */
  chunks: number;
  /** The data's JSON text as sealed (from the plaintext, not encoded again); absent for a foreign layout. */
  dataText?: string;
}

/**
 * Seals session claims as JWE compact (`dir` + `A256GCM`, `kid` in the protected header) and opens
 * them again, framework-free: `cookieSession` (Express) and `sealedCodec` (koa-session) are thin
 * mappings over it.
 *
 * @example
 * const sealer = new CookieSealer({ secrets: [process.env.COOKIE_SECRET!] }); // ≥ 32 characters each
 * const now = Date.now();
 * const jwe = sealer.seal({ iat: now / 1000, exp: now / 1000 + 3600, auth_time: now / 1000, jti: 'id', s: { user: 'ann' } });
 * const opened = sealer.open(jwe); // { claims: { …, s: { user: 'ann' } }, rotated: false, chunks: 1 } or { rejected: 'tampered' | … }
 * @throws StoreConfigError at construction for an empty secret list, a secret under 32 characters,
 *   a duplicate secret or id, or a `maxChunks` outside 1..20.
 */
export class CookieSealer {
  readonly #keyring: Keyring;
  readonly #compress: boolean;
  readonly maxChunks: number;

  constructor(options: CookieSealerOptions) {
    if (typeof options !== 'object' || options === null || options.secrets === undefined) {
      throw new StoreConfigError(
        'secrets is required: an ordered list of secrets of 32 or more characters (the first seals, all open)',
      );
    }
    this.#keyring = new Keyring(options.secrets);
    this.#compress = options.compress ?? false;
    if (typeof this.#compress !== 'boolean')
      throw new StoreConfigError(`compress must be true or false, got ${JSON.stringify(options.compress)}`);
    const maxChunks = options.maxChunks ?? DEFAULT_MAX_CHUNKS;
    if (!Number.isInteger(maxChunks) || maxChunks < 1 || maxChunks > MAX_MAX_CHUNKS) {
      throw new StoreConfigError(
        `maxChunks must be a whole number from 1 to ${MAX_MAX_CHUNKS}, got ${String(maxChunks)} (each chunk adds up to 4 KB to every request; Node answers 431 above 16 KB of headers by default)`,
      );
    }
    this.maxChunks = maxChunks;
  }

  /** Key id of the sealing key (the first secret). */
  get kid(): string {
    return this.#keyring.current.kid;
  }

  /** Seals claims with the first key, deflated when `compress` is on and that is smaller. */
  seal(claims: Claims): string {
    return this.#sealPlaintext(encodeClaims(claims));
  }

  /** {@link seal} with the session data already encoded as JSON text (`s` is appended last). */
  sealText(claims: SealClaims, dataText: string): string {
    return this.#sealPlaintext(`${encodeClaims(claims as Claims).slice(0, -1)},"s":${dataText}}`);
  }

  #sealPlaintext(text: string): string {
    const plaintext = Buffer.from(text, 'utf8');
    if (this.#compress) {
      const deflated = deflateRawSync(plaintext);
      // Compressed only when the whole seal gets shorter: the zip header costs 16 characters.
      const key = this.#keyring.current;
      if (key.zipHeader.length + base64Length(deflated.length) < key.header.length + base64Length(plaintext.length))
        return sealJwe(key, deflated, true);
    }
    return sealJwe(this.#keyring.current, plaintext, false);
  }

  /** Opens one JWE compact string, or says why it does not open. `nowMs` decides expiry. */
  open(jwe: string, nowMs = Date.now()): OpenedSeal | Rejected {
    const opened = openJwe(this.#keyring, jwe);
    if (isRejected(opened)) return opened;
    let text: string;
    if (opened.zip) {
      try {
        text = inflateRawSync(opened.plaintext, { maxOutputLength: DEFAULT_MAX_SESSION_BYTES }).toString('utf8');
      } catch {
        return rejected('payload');
      }
    } else {
      text = opened.plaintext.toString('utf8');
    }
    const claims = decodeClaims(text, nowMs);
    if (isRejected(claims)) return claims;
    const dataText = dataTextOf(text);
    return { claims, rotated: opened.key.index > 0, chunks: 1, ...(dataText === undefined ? {} : { dataText }) };
  }

  /** Opens the session from its cookie values (`name`, `name.1`, …), reassembling chunks first. */
  openChunks(values: ReadonlyMap<string, string>, name: string, nowMs = Date.now()): OpenedSeal | Rejected {
    const joined = joinChunks(values, name, this.maxChunks);
    if (isRejected(joined)) return joined;
    const opened = this.open(joined.sealed, nowMs);
    if (isRejected(opened)) return opened;
    opened.chunks = joined.chunks;
    return opened;
  }
}

/** Characters of unpadded base64url for `bytes` bytes. */
function base64Length(bytes: number): number {
  return Math.ceil((bytes * 4) / 3);
}
