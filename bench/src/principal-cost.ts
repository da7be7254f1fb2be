/**
 * `pnpm bench:principal`: what the principal index costs per request. Each store is opened twice
 * in this process, with the default `principal` (sessions of a logged-in user are indexed) and with
 * `principal: () => undefined` (the same store writing no index), and the store calls a request
 * makes are timed with tinybench, the two variants back to back, alternating order per round.
 *
 *   set        a request that saves a logged-in session whole (express-session `set`)
 *   patch      a cart change of a logged-in session (the principal stays: no index change)
 *   login      a patch that logs an anonymous session in (the principal appears: index insert)
 *   logout     a patch that removes `passport` (the principal goes, unless `userId` remains)
 *   destroy    a logout (the index entry goes)
 *
 * Options: --stores memory,sqlite,postgres,mysql,cluster,redis (default: all that answer)
 * --time <ms> per task and round (default 300), --rounds <n> (default 3).
 * Prints one line per store and operation: ops/s with and without the index, and the cost in µs.
 */
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { BaseStoreOptions, SessionStore } from '@sessionkit/core';
import { Bench } from 'tinybench';

const { values } = parseArgs({
  options: {
    stores: { type: 'string', default: 'memory,sqlite,postgres,mysql,cluster,redis' },
    time: { type: 'string', default: '300' },
    rounds: { type: 'string', default: '3' },
  },
});
const TIME_MS = Number(values.time);
const ROUNDS = Number(values.rounds);
const TTL = { ttlMs: 3_600_000 };
const POSTGRES_URL = process.env['DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';
const MYSQL_URL = process.env['MYSQL_URL'] ?? 'mysql://root@127.0.0.1:3306/test';
const REDIS_URL = process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379';
const run = randomBytes(4).toString('hex');
const NO_PRINCIPAL: BaseStoreOptions = { principal: () => undefined };

type Open = (options: BaseStoreOptions, variant: string) => Promise<{ store: SessionStore; close(): Promise<void> }>;

const sqliteFile = join(tmpdir(), `sessionkit-principal-bench-${run}.db`);
const OPENERS: Record<string, Open> = {
  memory: async (options) => {
    const { MemorySessionStore } = await import('@sessionkit/memory');
    const store = new MemorySessionStore({ ...options, max: 1_000_000, maxSizeBytes: 1 << 30 });
    return { store, close: () => store.close() };
  },
  sqlite: async (options, variant) => {
    const { default: Database } = await import('better-sqlite3');
    const { SqlSessionStore } = await import('@sessionkit/sql');
    const db = new Database(sqliteFile);
    db.pragma('journal_mode = WAL');
    const store = new SqlSessionStore({
      ...options,
      client: db,
      table: `bench_${variant}_${run}`,
      pruneIntervalMs: false,
    });
    return {
      store,
      close: async () => {
        await store.close();
        db.close();
      },
    };
  },
  postgres: async (options, variant) => {
    const { default: pg } = await import('pg');
    const { SqlSessionStore } = await import('@sessionkit/sql');
    const pool = new pg.Pool({ connectionString: POSTGRES_URL, max: 4 });
    const table = `bench_${variant}_${run}`;
    const store = new SqlSessionStore({ ...options, client: pool, table, pruneIntervalMs: false });
    return {
      store,
      close: async () => {
        await pool.query(`DROP TABLE IF EXISTS "${table}"`);
        await store.close();
        await pool.end();
      },
    };
  },
  mysql: async (options, variant) => {
    const mysql = await import('mysql2/promise');
    const { SqlSessionStore } = await import('@sessionkit/sql');
    const pool = mysql.createPool({ uri: MYSQL_URL, connectionLimit: 4 });
    const table = `bench_${variant}_${run}`;
    const store = new SqlSessionStore({ ...options, client: pool, table, pruneIntervalMs: false });
    return {
      store,
      close: async () => {
        await pool.query(`DROP TABLE IF EXISTS \`${table}\``);
        await store.close();
        await pool.end();
      },
    };
  },
  cluster: async (options) => {
    const { ReplicatedSessionStore } = await import('@sessionkit/cluster');
    const { sparePort } = await import('@sessionkit/test-suite');
    const store = new ReplicatedSessionStore({
      ...options,
      listen: `127.0.0.1:${await sparePort()}`,
      secret: 'principal-bench-secret-0123456789abcdef',
      joinTimeoutMs: 100,
    });
    await store.ready();
    return { store, close: () => store.close() };
  },
  redis: async (options, variant) => {
    const { Redis } = await import('ioredis');
    const { RedisSessionStore } = await import('@sessionkit/redis');
    const client = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 });
    await client.connect();
    const store = new RedisSessionStore({ ...options, client, prefix: `principal-bench:${variant}:${run}:` });
    return {
      store,
      close: async () => {
        await store.clear();
        await store.close();
        client.disconnect();
      },
    };
  },
};

interface Variant {
  name: 'indexed' | 'no principal';
  store: SessionStore;
  close(): Promise<void>;
  next: number;
}

/** What one call of each operation does; each call works on sessions of its own. */
const OPERATIONS: Record<string, (v: Variant) => Promise<void>> = {
  set: (v) => v.store.set(`s-${v.next++}`, { userId: `user-${v.next % 100}`, cart: { 'sku-1': 2 } }, TTL),
  patch: (v) => v.store.patch(`p-${v.next++ % 1000}`, { set: { cart: { 'sku-1': v.next } }, unset: [] }, TTL),
  login: (v) => v.store.patch(`a-${v.next++}`, { set: { passport: { user: `user-${v.next % 100}` } }, unset: [] }, TTL),
  logout: (v) => v.store.patch(`a-${v.next++}`, { set: {}, unset: ['passport'] }, TTL),
  destroy: (v) => v.store.destroy(`s-${v.next++}`),
};

async function measureStore(id: string): Promise<void> {
  const open = OPENERS[id];
  if (!open) throw new Error(`unknown store ${id}; known: ${Object.keys(OPENERS).join(', ')}`);
  let variants: Variant[];
  try {
    variants = [
      { name: 'indexed', ...(await open({}, 'idx')), next: 0 },
      { name: 'no principal', ...(await open(NO_PRINCIPAL, 'none')), next: 0 },
    ];
    await variants[0]!.store.get('probe');
  } catch (err) {
    console.log(`${id.padEnd(9)} skipped: ${(err as Error).message}`);
    return;
  }
  try {
    for (const v of variants) {
      // logged-in sessions for `patch` to change
      for (let i = 0; i < 1000; i++) await v.store.set(`p-${i}`, { userId: `user-${i % 100}`, cart: {} }, TTL);
    }
    const samples = new Map<string, number[][]>(); // operation → [indexed, none] ops/s per round
    for (let round = 0; round < ROUNDS; round++) {
      for (const [operation, work] of Object.entries(OPERATIONS)) {
        // logout ends the logins made just before; destroy the sessions `set` made
        if (operation === 'destroy' || operation === 'logout') for (const v of variants) v.next = 0;
        const order = round % 2 ? [...variants].reverse() : variants;
        const bench = new Bench({ time: TIME_MS, warmupTime: 50, throws: true });
        for (const v of order) bench.add(v.name, () => work(v));
        await bench.run();
        const rates = variants.map(
          (v) => (bench.getTask(v.name)!.result as unknown as { throughput: { mean: number } }).throughput.mean,
        );
        const list = samples.get(operation) ?? [[], []];
        list[0]!.push(rates[0]!);
        list[1]!.push(rates[1]!);
        samples.set(operation, list);
      }
    }
    for (const [operation, [indexed, none]] of samples) {
      const a = median(indexed!);
      const b = median(none!);
      const costUs = 1e6 / a - 1e6 / b;
      console.log(
        `${id.padEnd(9)} ${operation.padEnd(8)} indexed ${fmt(a)} ops/s   no principal ${fmt(b)} ops/s   index cost ${costUs >= 0 ? '+' : ''}${costUs.toFixed(1)} µs/call (${((100 * (b - a)) / b).toFixed(1)} %)`,
      );
    }
  } finally {
    for (const v of variants) await v.close().catch(() => {});
  }
}

function median(xs: number[]): number {
  const sorted = [...xs].sort((x, y) => x - y);
  return sorted[Math.floor(sorted.length / 2)]!;
}

function fmt(n: number): string {
  return Math.round(n).toLocaleString('en-US').padStart(9);
}

console.log(
  `principal index cost: ${ROUNDS} rounds × ${TIME_MS} ms per task; median ops/s of the rounds (one call in flight)`,
);
try {
  for (const id of values.stores.split(',')) await measureStore(id.trim());
} finally {
  rmSync(sqliteFile, { force: true });
  rmSync(`${sqliteFile}-wal`, { force: true });
  rmSync(`${sqliteFile}-shm`, { force: true });
}
process.exit(0);
