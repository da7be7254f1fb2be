// The sizing child's at-rest figures: what the engine itself reports the store's data takes.
import { statSync } from 'node:fs';
import Database from 'better-sqlite3';
import { Redis } from 'ioredis';
import mysql from 'mysql2/promise';
import pg from 'pg';
import type { BackendConfig } from './backend-config.js';
import type { SizingArgs } from './sizing.js';

/** Our SQL table (open-store.ts names it so for every SQL store). */
const TABLE = 'sessionkit_sessions';
/** Redis keys whose `MEMORY USAGE` is read. */
export const MEMORY_USAGE_SAMPLES = 200;

/**
 * The engine's own figure for the bytes the store's data takes, by method; read on a separate,
 * direct connection (`backend` without the relay), outside the measured operations.
 */
export async function engineBytes(
  args: Pick<SizingArgs, 'engine' | 'store'>,
  backend: BackendConfig,
  sids: string[],
): Promise<Record<string, number>> {
  if (args.engine === 'redis') {
    const redis = new Redis(backend.redisUrl);
    try {
      const used = Number(/^used_memory:(\d+)/m.exec(await redis.info('memory'))![1]);
      // The prefixes open-store.ts gives these stores; the Redis server is the sizing run's own.
      const prefix = { 'redis-json': 'json:', 'redis-hash + near cache': 'near:' }[args.store] ?? 'hash:';
      let sampled = 0;
      for (const sid of sids.slice(0, MEMORY_USAGE_SAMPLES))
        sampled += Number(await redis.call('MEMORY', 'USAGE', `${prefix}${sid}`, 'SAMPLES', '0'));
      return { used_memory: used, memory_usage_sampled: sampled };
    } finally {
      redis.disconnect();
    }
  }
  if (args.engine === 'postgres') {
    const client = new pg.Client({ connectionString: backend.postgresUrl });
    await client.connect();
    try {
      const { rows } = await client.query<{ total: string; heap: string }>(
        `SELECT pg_total_relation_size($1::regclass) AS total, pg_relation_size($1::regclass) AS heap`,
        [TABLE],
      );
      return { pg_total_relation_size: Number(rows[0]!.total), pg_relation_size: Number(rows[0]!.heap) };
    } finally {
      await client.end();
    }
  }
  if (args.engine === 'mysql') {
    const connection = await mysql.createConnection(backend.mysqlUrl);
    try {
      // information_schema's lengths are InnoDB statistics, refreshed by ANALYZE TABLE.
      await connection.query(`ANALYZE TABLE \`${TABLE}\``);
      const [rows] = await connection.query(
        'SELECT data_length, index_length FROM information_schema.TABLES WHERE table_schema = DATABASE() AND table_name = ?',
        [TABLE],
      );
      const row = (rows as { data_length: number; index_length: number }[])[0]!;
      return { data_length: Number(row.data_length), index_length: Number(row.index_length) };
    } finally {
      await connection.end();
    }
  }
  if (args.engine === 'sqlite') {
    const db = new Database(backend.sqliteFile);
    try {
      // Moves the write-ahead log into the database file, so the file size is the data's.
      db.pragma('wal_checkpoint(TRUNCATE)');
    } finally {
      db.close();
    }
    return { file_size: statSync(backend.sqliteFile).size };
  }
  return {};
}
