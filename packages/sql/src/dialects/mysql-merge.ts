import { createHash } from 'node:crypto';
import { StoreOperationError } from '@sessionkit/core';
import type { MergeResult } from '../dialect.js';
import type { PendingPatch } from './merge-queue.js';
import { measured, mergedJson } from './merged-json.js';
import type { MysqlRunner } from './mysql-table.js';

/** How often `patch` reads and writes again when another write changed the row in between. */
const MERGE_ATTEMPTS = 100;

/**
 * Merges a batch of patches of `sid` into table `t` (read, merge here, write only if the row is
 * still what was read, see `MysqlDialect.merge`) and files the principal of the merged text in
 * the same statement.
 */
export async function mergeBatch(
  run: MysqlRunner,
  t: string,
  sid: string,
  patches: PendingPatch[],
): Promise<MergeResult | null> {
  const last = patches[patches.length - 1] as PendingPatch;
  const { expiresAt, now, maxBytes, principalOf } = last;
  const changes = patches.map((patch) => patch.change);
  for (let attempt = 1; ; attempt++) {
    const [row] = await run.rows(
      `SELECT CAST(data AS CHAR CHARACTER SET utf8mb4) AS data, expires_at FROM ${t} WHERE sid = ?`,
      [sid],
    );
    if (row === undefined) {
      const json = measured(mergedJson(null, changes), maxBytes);
      const principal = principalOf(json);
      try {
        await run.execute(`INSERT INTO ${t} (sid, data, expires_at, principal) VALUES (?, ?, ?, ?)`, [
          sid,
          json,
          expiresAt,
          principal,
        ]);
        return { created: true, principal };
      } catch (err) {
        if ((err as { code?: unknown }).code !== 'ER_DUP_ENTRY' || attempt >= MERGE_ATTEMPTS) throw err;
        continue; // another process created it first: merge into that
      }
    }
    const stored = row['data'] as string | null;
    const storedExpiry = Number(row['expires_at']);
    if (stored === null && storedExpiry > now) return null; // a live tombstone stays as it is
    const json = measured(mergedJson(storedExpiry > now ? stored : null, changes), maxBytes);
    const principal = principalOf(json);
    const result = await run.execute(
      `UPDATE ${t} SET data = ?, expires_at = ?, principal = ?
         WHERE sid = ? AND expires_at = ? AND SHA2(CAST(data AS CHAR CHARACTER SET utf8mb4), 256) <=> ?`,
      [json, expiresAt, principal, sid, storedExpiry, stored === null ? null : sha256(stored)],
    );
    if (matchedRows(result) > 0) return { created: false, principal };
    if (attempt >= MERGE_ATTEMPTS)
      throw new StoreOperationError(
        `the session was changed by ${MERGE_ATTEMPTS} other writes while this patch was merged`,
      );
    // Lost a race with another process's write of this session: back off a little, so racers spread out.
    await new Promise((resolve) => setTimeout(resolve, Math.random() * Math.min(attempt, 10)));
  }
}

/** Hex SHA-256 of the UTF-8 text, as `SHA2(text, 256)` gives it. */
export function sha256(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

/** Rows an UPDATE matched (changed or not): from its info text, which does not depend on the FOUND_ROWS flag. */
function matchedRows(result: unknown): number {
  const { info, affectedRows } = result as { info?: string; affectedRows?: number };
  const matched = /Rows matched:\s*(\d+)/.exec(info ?? '');
  return matched ? Number(matched[1]) : (affectedRows ?? 0);
}
