import { isValidSessionId, StoreConfigError } from '@sessionkit/core';

/** Suffix of a tombstone key. `#` never occurs in a sid, so no session key can collide with it. */
const TOMBSTONE_SUFFIX = '#destroyed';

/** Where a store keeps its sessions and tombstones, and how it finds them again. */
export interface KeySpace {
  /** `<prefix><sid>`: the session key. */
  session(sid: string): string;
  /**
   * The tombstone key of `sid`, always in the same Redis Cluster hash slot as the session key so
   * one script can read both: `{<prefix><sid>}#destroyed`, or `<prefix><sid>#destroyed` when the
   * prefix carries its own hash tag.
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
 * @throws StoreConfigError for an empty prefix (clear() would sweep the whole database), a
 *   prefix whose braces do not form a hash tag, or a hash tag that is empty or holds braces.
 */
export function keySpace(prefix: string, hashTag?: string): KeySpace {
  if (typeof prefix !== 'string' || prefix === '') {
    throw new StoreConfigError('prefix must be a non-empty string (an empty prefix would let clear() sweep every key of the database)');
  }
  let full = prefix;
  if (hashTag !== undefined) {
    if (typeof hashTag !== 'string' || hashTag === '' || /[{}]/.test(hashTag)) {
      throw new StoreConfigError(`hashTag must be a non-empty string without braces, got ${JSON.stringify(hashTag)}`);
    }
    if (/[{}]/.test(prefix)) throw new StoreConfigError('give either a prefix with braces or the hashTag option, not both');
    full = `${prefix}{${hashTag}}`;
  }
  // Redis hashes only the text between the first `{` and the next `}` when it is non-empty; a sid
  // holds no braces, so the prefix alone decides which part of a session key is hashed.
  let tombstone: (key: string) => string;
  if (hasHashTag(full)) tombstone = (key) => key + TOMBSTONE_SUFFIX;
  else if (!full.includes('}')) tombstone = (key) => `{${key}}${TOMBSTONE_SUFFIX}`;
  else throw new StoreConfigError(`prefix ${JSON.stringify(full)} has braces that do not form a Redis hash tag ({tag})`);

  return {
    session: (sid) => full + sid,
    tombstone: (sid) => tombstone(full + sid),
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

function hasHashTag(key: string): boolean {
  const open = key.indexOf('{');
  if (open === -1) return false;
  const close = key.indexOf('}', open + 1);
  return close > open + 1;
}
