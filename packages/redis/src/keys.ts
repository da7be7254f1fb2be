import { isValidSessionId, StoreConfigError } from '@sessionkit/core';

/**
 * Characters a key prefix may end with. A prefix must end with a separator so that no other
 * store's prefix can begin with it by accident: a store on `sess` would otherwise read, count and
 * clear the sessions of a store on `session:` (their keys all begin with `sess`).
 */
export const PREFIX_SEPARATORS = ':/|.-_#}';

/** Suffix of the tombstone key for session keys without a hash tag: `{<key>}#destroyed`. */
const TOMBSTONE_SUFFIX = '#destroyed';

/**
 * Suffix of the tombstone key for session keys with a hash tag: `<key>\0destroyed`. A sid never
 * holds a control character, so this key is never a session key, and SCAN's match on the prefix
 * reads it as no sid at all.
 */
const TAGGED_TOMBSTONE_SUFFIX = '\u0000destroyed';

// C0 controls, DEL and C1 controls, as in sids.
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f-\u009f]/;

/** Where a store keeps its sessions and tombstones, and how it finds them again. */
export interface KeySpace {
  /** `<prefix><sid>`: the session key. */
  session(sid: string): string;
  /**
   * The tombstone key of `sid`, always in the same Redis Cluster hash slot as the session key so
   * one script can touch both, whatever braces the sid holds:
   * - `<prefix><sid>\0destroyed` when the session key has a hash tag (from the prefix, or a sid
   *   such as `{tag}x`): appending leaves its tag as it is;
   * - `{<prefix><sid>}#destroyed` when it has none and holds no `}`: the whole key becomes the tag;
   * - otherwise (a sid such as `a}b` or `{}x`, hashed whole): `{<t>}\0destroyed\0<prefix><sid>`,
   *   where `<t>` is a short tag chosen to hash to the session key's slot.
   */
  tombstone(sid: string): string;
  /** SCAN MATCH pattern for session keys: the prefix with glob characters escaped, then `*`. */
  readonly pattern: string;
  /** The sid of a key found by SCAN, or `null` when the key is not a session key (tombstone, foreign key). */
  sidOf(key: string): string | null;
}

/**
 * Builds the key space for `prefix` and an optional `hashTag` (appended to the prefix as
 * `{hashTag}`, so every session key lands in one Cluster hash slot).
 * @throws StoreConfigError for an empty prefix (clear() would sweep the whole database), a prefix
 *   that does not end with one of {@link PREFIX_SEPARATORS}, a prefix with control characters or
 *   with braces that do not form a hash tag, or a hash tag that is empty or holds braces.
 */
export function keySpace(prefix: string, hashTag?: string): KeySpace {
  if (typeof prefix !== 'string' || prefix === '') {
    throw new StoreConfigError(
      'prefix must be a non-empty string (an empty prefix would let clear() sweep every key of the database)',
    );
  }
  if (CONTROL_CHARACTERS.test(prefix)) throw new StoreConfigError('prefix must not hold control characters');
  let full = prefix;
  if (hashTag !== undefined) {
    if (typeof hashTag !== 'string' || hashTag === '' || /[{}]/.test(hashTag) || CONTROL_CHARACTERS.test(hashTag)) {
      throw new StoreConfigError(
        `hashTag must be a non-empty string without braces or control characters, got ${JSON.stringify(hashTag)}`,
      );
    }
    if (/[{}]/.test(prefix))
      throw new StoreConfigError('give either a prefix with braces or the hashTag option, not both');
    full = `${prefix}{${hashTag}}`;
  }
  if (/[{}]/.test(full) && hashTagOf(full) === undefined) {
    throw new StoreConfigError(`prefix ${JSON.stringify(full)} has braces that do not form a Redis hash tag ({tag})`);
  }
  if (!PREFIX_SEPARATORS.includes(full.at(-1)!)) {
    throw new StoreConfigError(
      `prefix ${JSON.stringify(full)} must end with a separator (one of ${[...PREFIX_SEPARATORS].join(' ')}), e.g. ${JSON.stringify(`${full}:`)}: ` +
        `without one, the store would read and clear the sessions of any store whose prefix begins with it`,
    );
  }
  const prefixTagged = hashTagOf(full) !== undefined;

  return {
    session: (sid) => full + sid,
    tombstone(sid) {
      const key = full + sid;
      if (prefixTagged || hashTagOf(key) !== undefined) return key + TAGGED_TOMBSTONE_SUFFIX;
      if (!key.includes('}')) return `{${key}}${TOMBSTONE_SUFFIX}`;
      return `{${tagForSlot(slotOf(key))}}${TAGGED_TOMBSTONE_SUFFIX}\u0000${key}`;
    },
    pattern: `${escapeGlob(full)}*`,
    sidOf(key) {
      if (!key.startsWith(full)) return null;
      const sid = key.slice(full.length);
      return isValidSessionId(sid) ? sid : null;
    },
  };
}

/** Escapes the characters Redis glob patterns give meaning to (`* ? [ ] \`). */
export function escapeGlob(text: string): string {
  return text.replace(/[*?[\]\\]/g, '\\$&');
}

/**
 * The part of `key` Redis Cluster hashes, as Redis finds it: the text between the first `{` and the
 * first `}` after it, when that text is not empty; `undefined` when the whole key is hashed.
 */
export function hashTagOf(key: string): string | undefined {
  const open = key.indexOf('{');
  if (open === -1) return undefined;
  const close = key.indexOf('}', open + 1);
  return close > open + 1 ? key.slice(open + 1, close) : undefined;
}

/** The Redis Cluster hash slot of `key`: CRC16 (XMODEM) of its hash tag or of the whole key, in UTF-8, mod 16384. */
export function slotOf(key: string): number {
  return crc16(Buffer.from(hashTagOf(key) ?? key, 'utf8')) & 16383;
}

const CRC_TABLE = (() => {
  const table = new Uint16Array(256);
  for (let byte = 0; byte < 256; byte++) {
    let crc = byte << 8;
    for (let bit = 0; bit < 8; bit++) crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
    table[byte] = crc;
  }
  return table;
})();

function crc16(bytes: Uint8Array | string): number {
  let crc = 0;
  for (let i = 0; i < bytes.length; i++) {
    const byte = typeof bytes === 'string' ? bytes.charCodeAt(i) : bytes[i]!;
    crc = ((crc << 8) & 0xffff) ^ CRC_TABLE[((crc >> 8) ^ byte) & 0xff]!;
  }
  return crc;
}

let slotTags: string[] | undefined;

/**
 * A short ASCII tag whose CRC16 falls in `slot`. The table of all 16384 is built on first use
 * (about 90,000 CRCs of 3-4 bytes), which only a sid holding a `}` outside a hash tag needs.
 */
export function tagForSlot(slot: number): string {
  if (!slotTags) {
    const tags = new Array<string>(16384);
    for (let filled = 0, n = 0; filled < 16384; n++) {
      const tag = n.toString(36);
      const at = crc16(tag) & 16383;
      if (tags[at] === undefined) {
        tags[at] = tag;
        filled++;
      }
    }
    slotTags = tags;
  }
  return slotTags[slot]!;
}
