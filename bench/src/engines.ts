import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { sparePort } from '@sessionkit/test-suite';
import Database from 'better-sqlite3';
import { Redis } from 'ioredis';
import mysql from 'mysql2/promise';
import pg from 'pg';
import type { Engine } from './catalog.js';

export interface EngineStatus {
  /** Version string when reachable. */
  version?: string;
  /** Why the engine's stores are skipped, when it is not reachable. */
  missing?: string;
  /** Where it runs, for the docs. */
  where?: string;
}

/** A redis-server this run starts on a spare port, so its command counters see only the bench. */
export interface OwnRedis {
  url: string;
  stop(): Promise<void>;
}

/** Starts `redis-server` without persistence; `undefined` when the binary is not installed. */
export async function startOwnRedis(): Promise<OwnRedis | undefined> {
  if (spawnSync('redis-server', ['--version']).status !== 0) return undefined;
  const port = await sparePort();
  const server: ChildProcess = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    {
      stdio: 'ignore',
    },
  );
  const url = `redis://127.0.0.1:${port}`;
  const client = new Redis(url, { lazyConnect: true, retryStrategy: () => 50, maxRetriesPerRequest: null });
  // Refused connections until the server listens are expected; the ping waits through them.
  client.on('error', () => {});
  await withTimeout(client.ping(), 10_000, 'redis-server did not answer within 10 s');
  client.disconnect();
  return {
    url,
    stop: () =>
      new Promise<void>((resolve) => {
        if (server.exitCode !== null) return resolve();
        server.once('exit', () => resolve());
        server.kill('SIGTERM');
      }),
  };
}

/** Checks each engine with a short connection and reads its version. */
export async function probeEngines(urls: {
  redisUrl: string;
  postgresUrl: string;
  mysqlUrl: string;
}): Promise<Record<Engine, EngineStatus>> {
  const [redis, postgres, mysqlStatus, sqlite, cluster] = await Promise.all([
    probe(
      `Redis at ${urls.redisUrl}`,
      async () => {
        const client = new Redis(urls.redisUrl, {
          lazyConnect: true,
          maxRetriesPerRequest: 0,
          retryStrategy: () => null,
        });
        try {
          await client.connect();
          return `Redis ${/redis_version:(\S+)/.exec(await client.info('server'))?.[1]}`;
        } finally {
          client.disconnect();
        }
      },
      'start Redis or set REDIS_URL',
    ),
    probe(
      `PostgreSQL at ${redact(urls.postgresUrl)}`,
      async () => {
        const client = new pg.Client({ connectionString: urls.postgresUrl, connectionTimeoutMillis: 3000 });
        await client.connect();
        try {
          const { rows } = await client.query<{ server_version: string }>('SHOW server_version');
          return `PostgreSQL ${rows[0]!.server_version.split(' ')[0]}`;
        } finally {
          await client.end();
        }
      },
      'start PostgreSQL or set DATABASE_URL',
    ),
    probe(
      `MySQL/MariaDB at ${redact(urls.mysqlUrl)}`,
      async () => {
        const connection = await mysql.createConnection({ uri: urls.mysqlUrl, connectTimeout: 3000 });
        try {
          const [rows] = await connection.query('SELECT VERSION() AS version');
          const version = String((rows as { version: string }[])[0]!.version);
          return version.includes('MariaDB') ? `MariaDB ${version.split('-')[0]}` : `MySQL ${version}`;
        } finally {
          await connection.end();
        }
      },
      'start MariaDB/MySQL or set MYSQL_URL',
    ),
    probe(
      'SQLite (better-sqlite3)',
      async () => {
        const db = new Database(':memory:');
        try {
          return `SQLite ${(db.prepare('SELECT sqlite_version() AS v').get() as { v: string }).v}`;
        } finally {
          db.close();
        }
      },
      'reinstall better-sqlite3 (its native build failed)',
    ),
    Promise.resolve<EngineStatus>({ version: 'in-process, loopback TCP' }),
  ]);
  return {
    none: { version: '-' },
    memory: { version: 'in-process' },
    redis: { ...redis, where: urls.redisUrl },
    postgres,
    mysql: mysqlStatus,
    sqlite,
    cluster,
  };
}

async function probe(what: string, check: () => Promise<string>, howToStart: string): Promise<EngineStatus> {
  try {
    return { version: await withTimeout(check(), 5000, 'no answer within 5 s') };
  } catch (error) {
    return {
      missing: `${what} not reachable (${error instanceof Error ? error.message : String(error)}); ${howToStart}`,
    };
  }
}

/** Redis commands run so far, per command, from `INFO commandstats` (the INFO calls themselves left out). */
export async function redisCommandCounts(client: Redis): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  for (const match of (await client.info('commandstats')).matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) {
    if (match[1] !== 'info') counts.set(match[1]!, Number(match[2]));
  }
  return counts;
}

/**
 * MariaDB/MySQL data statements executed so far, server-wide, from the global `Com_*` counters
 * (prepared executions included). Global: any other client of the server is counted too.
 */
export async function mysqlStatementCounts(connection: mysql.Connection): Promise<Map<string, number>> {
  const [rows] = await connection.query(
    "SHOW GLOBAL STATUS WHERE Variable_name IN ('Com_select', 'Com_insert', 'Com_update', 'Com_delete', 'Com_replace')",
  );
  return new Map(
    (rows as { Variable_name: string; Value: string }[]).map((row) => [
      row.Variable_name.slice(4).toLowerCase(),
      Number(row.Value),
    ]),
  );
}

/**
 * Creates this run's own PostgreSQL schema and MariaDB database named `namespace`, and returns
 * URLs that point into them (PostgreSQL through `search_path`), so every table the stores create
 * is the run's own and nothing anyone else has is touched.
 */
export async function createNamespace(
  urls: { postgresUrl: string; mysqlUrl: string },
  namespace: string,
  engines: Record<Engine, EngineStatus>,
): Promise<{ postgresUrl: string; mysqlUrl: string }> {
  const postgresUrl = new URL(urls.postgresUrl);
  postgresUrl.searchParams.set('options', `-c search_path=${namespace}`);
  const mysqlUrl = new URL(urls.mysqlUrl);
  mysqlUrl.pathname = `/${namespace}`;
  if (engines.postgres.version) await onPostgres(urls.postgresUrl, `CREATE SCHEMA ${namespace}`);
  if (engines.mysql.version) await onMysql(urls.mysqlUrl, `CREATE DATABASE \`${namespace}\``);
  return { postgresUrl: postgresUrl.href, mysqlUrl: mysqlUrl.href };
}

/** Drops the schema and database {@link createNamespace} created, with the tables in them. */
export async function dropNamespace(
  urls: { postgresUrl: string; mysqlUrl: string },
  namespace: string,
  engines: Record<Engine, EngineStatus>,
): Promise<void> {
  if (engines.postgres.version) await onPostgres(urls.postgresUrl, `DROP SCHEMA IF EXISTS ${namespace} CASCADE`);
  if (engines.mysql.version) await onMysql(urls.mysqlUrl, `DROP DATABASE IF EXISTS \`${namespace}\``);
}

async function onPostgres(url: string, sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

async function onMysql(url: string, sql: string): Promise<void> {
  const connection = await mysql.createConnection(url);
  try {
    await connection.query(sql);
  } finally {
    await connection.end();
  }
}

function redact(url: string): string {
  return url.replace(/\/\/([^:@/]+):[^@/]*@/, '//$1:***@');
}

function withTimeout<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(message)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}
