import type { SessionData } from '@sessionkit/core';

/** One session read from a migration source. */
export interface SourceRow {
  sid: string;
  /** The decoded session, or `null` when it does not decode (see `problem`). */
  data: SessionData | null;
  /** Absolute expiry in epoch ms as the source stores it, or `null` when the source cannot tell. */
  expiresAt: number | null;
  /** Why the row cannot be copied (bytes that do not decode, a sid sessionkit refuses). */
  problem?: string;
}

/** A batch of rows and the cursor that resumes the walk right after it. */
export interface SourceBatch {
  rows: SourceRow[];
  /** Opaque; hand it back to `batches()` to continue after this batch. */
  cursor: string;
}

/**
 * Where `sessionkit migrate` reads from: connect-redis keys, connect-pg-simple or
 * express-mysql-session tables, or any sessionkit store. Walks are resumable by cursor.
 */
export interface MigrationSource {
  /** What is read, for messages (passwords redacted). */
  readonly description: string;
  /** Live sessions in the source now. */
  count(): Promise<number>;
  /** Walks the sessions in batches of about `size`, from the start or after `cursor`. */
  batches(cursor: string | undefined, size: number): AsyncIterable<SourceBatch>;
  close(): Promise<void>;
}
