import { createHash } from 'node:crypto';
import { SessionTooLargeError } from '@sessionkit/core';
import type { TableNames } from '../identifiers.js';
import { ESC } from './nul-escape.js';
import { serverCode } from './postgres-errors.js';

// A statement refuses an oversized session by failing on purpose: casting this marker plus the
// size to int raises 22P02, whose message quotes the text in every server language. The statement
// is then rolled back whole, so nothing was written.
const TOO_LARGE = 'sessionkit_too_large:';
const TOO_LARGE_MESSAGE = new RegExp(`${TOO_LARGE}(\\d+)`);

/**
 * SQL that fails the statement when the session text `t` (jsonb::text of the row just written) is
 * over `max` bytes, counted as compact JSON: jsonb's text puts a space after every `:` and `,`, and
 * the NUL escape doubles a user's U+FDD0. That text is never smaller than the compact form, so
 * only a text over the limit pays for the exact count (strings removed, then the spaces left are
 * the formatting ones; 3 bytes less per doubled U+FDD0).
 */
function refuseOver(max: string): string {
  const exact = `octet_length(t) - (length(c) - length(replace(c, ' ', ''))) - 3 * ((length(t) - length(replace(t, '${ESC}${ESC}', ''))) / 2)`;
  const strings = `$re$"(?:[^"\\\\]|\\\\.)*"$re$`;
  return `CASE WHEN octet_length(t) > ${max} THEN (
      SELECT CASE WHEN n > ${max} THEN ('${TOO_LARGE}' || n)::int END
      FROM (SELECT ${exact} AS n FROM (SELECT regexp_replace(t, ${strings}, '', 'g') AS c) strip) measured
    ) END AS refused`;
}

/** Awaits a statement that ends in {@link refuseOver}, turning its refusal into SessionTooLargeError. */
export async function measured<T>(maxBytes: number, work: Promise<T>): Promise<T> {
  try {
    return await work;
  } catch (err) {
    const match = serverCode(err) === '22P02' ? TOO_LARGE_MESSAGE.exec((err as Error).message) : null;
    if (match) throw new SessionTooLargeError(Number(match[1]), maxBytes);
    throw err;
  }
}

/** Every statement of the dialect on the table `names`, each named for the prepared-statement cache. */
export function postgresStatements(names: TableNames): Record<Statement, { name: string; text: string }> {
  const t = names.table;
  const live = 'data IS NOT NULL AND expires_at >';
  // (xmax = 0): the row version was inserted, not updated (an update locks the old one, setting xmax).
  const upsert = `INSERT INTO ${t} (sid, data, expires_at, principal) VALUES ($1, $2::jsonb, $3, $5)
        ON CONFLICT (sid) DO UPDATE SET data = EXCLUDED.data, expires_at = EXCLUDED.expires_at, principal = EXCLUDED.principal
        RETURNING (xmax = 0) AS created`;
  // The row holds a live session ($4: now); an expired or damaged one is merged into as {}.
  const heldObject = `s.expires_at > $4 AND jsonb_typeof(s.data) = 'object'`;
  /** The upsert of both merges ($1 sid, $2 change, $3 expiry, $4 now, $5 keys to remove), filing the principals given. */
  const mergeUpsert = (onInsert: string, onUpdate: string) => `
        INSERT INTO ${t} AS s (sid, data, expires_at, principal) VALUES ($1, $2::jsonb, $3, ${onInsert})
        ON CONFLICT (sid) DO UPDATE SET
          data = ((CASE WHEN ${heldObject} THEN s.data ELSE '{}'::jsonb END) - $5::text[]) || EXCLUDED.data,
          expires_at = EXCLUDED.expires_at,
          principal = ${onUpdate}
        WHERE s.data IS NOT NULL OR s.expires_at <= $4`;
  return prepared({
    read: `SELECT data::text AS data FROM ${t} WHERE sid = $1 AND ${live} $2`,
    write: upsert.replace('$5', '$4'),
    writeMeasured: `WITH up AS (${upsert}, data::text AS t) SELECT created, ${refuseOver('$4')} FROM up`,
    // jsonb `-` text[] drops the unset keys, `||` replaces top-level keys whole and keeps nulls.
    // An expired row, or one that holds no object (damaged), starts from {}. The merged row is
    // measured after the write; an oversized one fails the statement, which undoes the write.
    // The merged text, the principal filed and a hash of the text come back, so the store can
    // file the principal of exactly this text (see `merge`).
    // $7: the change alone decides the principal ($8), which is then filed here too.
    merge: `WITH up AS (${mergeUpsert('CASE WHEN $7::boolean THEN $8::text END', 'CASE WHEN $7::boolean THEN $8::text ELSE s.principal END')}
        RETURNING data::text AS t, principal, md5(data::text) AS version, (xmax = 0) AS created)
        SELECT t, principal, version, created, ${refuseOver('$6')} FROM up`,
    // The change touches no key the principal is read from: a live session stays filed where it
    // is, a new or expired one (which starts from {}) holds only the change, so is anonymous. The
    // merged text is measured here but not sent back.
    mergeKept: `WITH up AS (${mergeUpsert('NULL', `CASE WHEN ${heldObject} THEN s.principal END`)}
        RETURNING data::text AS t, principal, (xmax = 0) AS created)
        SELECT principal, created, ${refuseOver('$6')} FROM up`,
    // Only while the row holds the text the principal was computed from (a touch in between
    // changes nothing that matters; the same text always has the same principal).
    file: `UPDATE ${t} SET principal = $1 WHERE sid = $2 AND md5(data::text) = $3`,
    extend: `UPDATE ${t} SET expires_at = $1 WHERE sid = $2 AND ${live} $3`,
    // The old row is read under a row lock in the same statement, so of two concurrent destroys
    // only one sees a live session.
    tombstone: `WITH old AS (SELECT principal, ${live} $3 AS was_live FROM ${t} WHERE sid = $1 FOR UPDATE),
        up AS (INSERT INTO ${t} (sid, data, expires_at, principal) VALUES ($1, NULL, $2, NULL)
          ON CONFLICT (sid) DO UPDATE SET data = NULL, expires_at = EXCLUDED.expires_at, principal = NULL)
        SELECT principal, was_live FROM old`,
    tombstonePrincipal: `UPDATE ${t} SET data = NULL, expires_at = $2, principal = NULL
        WHERE principal = $1 AND ${live} $3 RETURNING sid`,
    ids: `SELECT sid FROM ${t} WHERE sid > $1 AND ${live} $2 ORDER BY sid LIMIT $3`,
    principalIds: `SELECT sid FROM ${t} WHERE principal = $1 AND sid > $2 AND ${live} $3 ORDER BY sid LIMIT $4`,
    count: `SELECT count(*)::int AS n FROM ${t} WHERE ${live} $1`,
    // SKIP LOCKED: instances pruning at the same moment take different rows instead of waiting,
    // so each expired session is reported by the one instance that deleted it.
    prune: `DELETE FROM ${t} WHERE expires_at <= $1 AND sid IN
        (SELECT sid FROM ${t} WHERE expires_at <= $1 LIMIT $2 FOR UPDATE SKIP LOCKED)
        RETURNING sid, principal, data IS NOT NULL AS held`,
    unfiled: `SELECT sid, data::text AS t, md5(data::text) AS version FROM ${t}
        WHERE principal IS NULL AND sid > $1 AND ${live} $2 ORDER BY sid LIMIT $3`,
    fill: `UPDATE ${t} SET principal = $1 WHERE sid = $2 AND principal IS NULL AND md5(data::text) = $3`,
  });
}

export type Statement =
  | 'read'
  | 'write'
  | 'writeMeasured'
  | 'merge'
  | 'mergeKept'
  | 'file'
  | 'extend'
  | 'tombstone'
  | 'tombstonePrincipal'
  | 'ids'
  | 'principalIds'
  | 'count'
  | 'prune'
  | 'unfiled'
  | 'fill';

/** Names each statement after a hash of its text: a prepared-statement name must never be reused for other SQL. */
function prepared(texts: Record<Statement, string>): Record<Statement, { name: string; text: string }> {
  const named = (text: string) => ({
    name: `sessionkit_${createHash('sha1').update(text).digest('hex').slice(0, 20)}`,
    text,
  });
  return Object.fromEntries(Object.entries(texts).map(([key, text]) => [key, named(text)])) as Record<
    Statement,
    { name: string; text: string }
  >;
}
