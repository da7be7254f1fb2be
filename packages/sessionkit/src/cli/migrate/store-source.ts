import { redactUrl, type SessionStore } from '@sessionkit/core';
import { openStore } from '../open-store.js';
import { readEntries } from '../store-entries.js';
import type { MigrationSource, SourceBatch, SourceRow } from './source.js';

/**
 * Any sessionkit store as a migration source, read through `entries()`: each session with the
 * expiry the store reports (or `null` when it cannot tell). The cursor is the number of sessions
 * already walked; resuming walks those again without copying them, which is exact for stores that
 * list in a stable order (SQL by sid) and may skip or repeat a few where the order shifts.
 */
export class StoreSource implements MigrationSource {
  readonly description: string;
  readonly #store: SessionStore;

  constructor(url: string, timeoutMs: number | undefined) {
    this.#store = openStore(url, { use: 'read', timeoutMs });
    this.description = `${this.#store.name} store ${redactUrl(url)}`;
  }

  count(): Promise<number> {
    return this.#store.length();
  }

  async *batches(cursor: string | undefined, size: number): AsyncGenerator<SourceBatch> {
    const skip = cursor === undefined ? 0 : Number(cursor);
    let walked = 0;
    let rows: SourceRow[] = [];
    const { entries, undecodable } = readEntries(this.#store);
    const take = () => {
      for (const sid of undecodable.splice(0)) {
        if (++walked > skip) rows.push({ sid, data: null, expiresAt: null, problem: 'the stored bytes do not decode' });
      }
    };
    for await (const entry of entries) {
      take();
      if (++walked <= skip) continue;
      rows.push({ sid: entry.sid, data: entry.data, expiresAt: entry.expiresAt });
      if (rows.length >= size) {
        yield { rows, cursor: String(walked) };
        rows = [];
      }
    }
    take();
    if (rows.length) yield { rows, cursor: String(walked) };
  }

  close(): Promise<void> {
    return this.#store.close();
  }
}
