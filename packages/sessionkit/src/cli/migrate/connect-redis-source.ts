import { decodeSession, isValidSessionId, loadOptionalDriver, queryOptions, redactUrl } from '@sessionkit/core';
import type { Redis, RedisOptions } from 'ioredis';
import { CliError, EXIT } from '../exit-codes.js';
import type { MigrationSource, SourceBatch, SourceRow } from './source.js';

type IoredisModule = { Redis: new (url: string, options: RedisOptions) => Redis };

/**
 * Reads connect-redis's layout: one JSON string per session at `<prefix><sid>` (default prefix
 * `sess:`), with the key's TTL as the session's expiry. sessionkit's Redis store with
 * `format: 'json'` writes the same layout. Walks with SCAN (resumable by its cursor) and reads
 * each batch with one pipeline of GET + PTTL per key. The expiry is `the time before the pipeline
 * was sent + PTTL`, never later than the real one.
 *
 * URL: `connect-redis+redis://[user:password@]host:port[/db]?prefix=sess:` (or `rediss://`), or a
 * sessionkit `redis://…?format=json&prefix=…` URL.
 */
export class ConnectRedisSource implements MigrationSource {
  readonly description: string;
  readonly #client: Redis;
  readonly #prefix: string;
  readonly #pattern: string;

  constructor(url: string, timeoutMs: number) {
    const parsed = new URL(url.replace(/^connect-redis\+/i, ''));
    // format= is accepted so a sessionkit redis:// URL names the same keys; values are read as stored.
    const { prefix = 'sess:' } = queryOptions(
      parsed,
      { prefix: 'string', format: 'string' },
      { what: 'a connect-redis source' },
    );
    if (!prefix) throw new CliError('prefix must not be empty: it would read every key of the database', EXIT.usage);
    this.#prefix = prefix;
    parsed.search = '';
    this.description = `connect-redis keys ${this.#prefix}* on ${redactUrl(parsed.href)}`;
    this.#pattern = `${this.#prefix.replace(/[*?[\]\\]/g, '\\$&')}*`;
    const { Redis } = loadOptionalDriver<IoredisModule>('ioredis', 'a connect-redis source', { from: import.meta.url });
    this.#client = new Redis(parsed.href, {
      lazyConnect: true,
      connectTimeout: timeoutMs,
      commandTimeout: timeoutMs * 5,
      maxRetriesPerRequest: 1,
    });
    this.#client.on('error', () => {}); // failures surface as rejected commands
  }

  async count(): Promise<number> {
    let cursor = '0';
    let n = 0;
    do {
      const [next, keys] = await this.#client.scan(cursor, 'MATCH', this.#pattern, 'COUNT', 1000);
      n += keys.length;
      cursor = next;
    } while (cursor !== '0');
    return n;
  }

  async *batches(cursor: string | undefined, size: number): AsyncGenerator<SourceBatch> {
    let at = cursor ?? '0';
    do {
      const [next, keys] = await this.#client.scan(at, 'MATCH', this.#pattern, 'COUNT', size);
      at = next;
      yield { rows: await this.#read(keys), cursor: next };
    } while (at !== '0');
  }

  async close(): Promise<void> {
    await this.#client.quit().catch(() => this.#client.disconnect());
  }

  async #read(keys: string[]): Promise<SourceRow[]> {
    if (keys.length === 0) return [];
    const pipeline = this.#client.pipeline();
    for (const key of keys) pipeline.get(key).pttl(key);
    const readAt = Date.now();
    const replies = (await pipeline.exec()) ?? [];
    const rows: SourceRow[] = [];
    keys.forEach((key, i) => {
      const [getError, text] = replies[2 * i] ?? [];
      const [, pttl] = replies[2 * i + 1] ?? [];
      const sid = key.slice(this.#prefix.length);
      if (getError) {
        rows.push({
          sid,
          data: null,
          expiresAt: null,
          problem: /WRONGTYPE/.test(String(getError))
            ? 'not a JSON string (a sessionkit hash-layout session? use its redis:// URL as the source)'
            : String(getError),
        });
        return;
      }
      if (text === null || pttl === -2) return; // expired or destroyed since SCAN saw it
      const expiresAt = typeof pttl === 'number' && pttl >= 0 ? readAt + pttl : null;
      if (!isValidSessionId(sid)) {
        rows.push({ sid, data: null, expiresAt, problem: 'the sid is not one sessionkit accepts' });
        return;
      }
      try {
        rows.push({ sid, data: decodeSession(sid, text as string), expiresAt });
      } catch (err) {
        rows.push({ sid, data: null, expiresAt, problem: (err as Error).message });
      }
    });
    return rows;
  }
}
