import { randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import type { Routing } from './deployment.js';
import { MASTER_NAME, SentinelSetup } from './redis-sentinel.js';
import { openStore } from './store.js';

const require = createRequire(import.meta.url);

/** A store prepared for one scenario run: its URL and how to remove what the run left behind. */
export interface PreparedStore {
  /** `undefined`: the deployment's default, a temporary SQLite file. */
  url: string | undefined;
  cleanup(): Promise<void>;
  /** What the row kills mid-run instead of the busiest instance; resolves with its name. */
  kill?: () => Promise<string>;
}

/** One row of the comparison: a strategy from the seeds on real processes. */
export interface Scenario {
  key: string;
  /** The answer from the seeds this row measures. */
  strategy: string;
  /** The store as shown in the table. */
  store: string;
  routing: Routing;
  /** True when every instance can read every session (a shared or replicated store). */
  shared: boolean;
  /**
   * True when the design promises that no cart is lost, also when an instance dies: a central
   * store, or replication with acknowledged writes behind sticky routing. The tests hold such rows
   * to it: no accepted item is ever missing (a read no instance answered is counted apart).
   */
  keepsEveryCart: boolean;
  /** Creates what the row needs; throws an Error whose message is the reason to skip the row. */
  prepare(): Promise<PreparedStore>;
}

const nothing = async () => {};
const runId = () => randomBytes(4).toString('hex');

export const SCENARIOS: Scenario[] = [
  {
    key: 'memory-round-robin',
    strategy: 'No strategy: per-instance memory',
    store: 'memory (each instance its own)',
    routing: 'round-robin',
    shared: false,
    keepsEveryCart: false,
    prepare: async () => ({ url: 'memory://', cleanup: nothing }),
  },
  {
    key: 'memory-sticky-cookie',
    strategy: 'Sticky session, cookie (L7)',
    store: 'memory (each instance its own)',
    routing: 'sticky-cookie',
    shared: false,
    keepsEveryCart: false,
    prepare: async () => ({ url: 'memory://', cleanup: nothing }),
  },
  {
    key: 'memory-ip-hash',
    strategy: 'Sticky session, IP hash (every shopper behind one address)',
    store: 'memory (each instance its own)',
    routing: 'ip-hash',
    shared: false,
    keepsEveryCart: false,
    prepare: async () => ({ url: 'memory://', cleanup: nothing }),
  },
  {
    key: 'cluster-round-robin',
    strategy: 'Session clustering, asynchronous replication',
    store: 'cluster:// ack=none (in every instance)',
    routing: 'round-robin',
    shared: true,
    // With ack=none a request can reach another node before the previous write has: a measured figure.
    keepsEveryCart: false,
    prepare: async () => ({ url: 'cluster://', cleanup: nothing }),
  },
  {
    key: 'cluster-sticky-cookie',
    strategy: 'Session clustering + sticky cookie (Tomcat style), acknowledged writes',
    store: 'cluster:// ack=one (in every instance)',
    routing: 'sticky-cookie',
    shared: true,
    // ack=one: a write is answered once a peer has applied it, so an answered write outlives the
    // SIGKILL of the instance that made it.
    keepsEveryCart: true,
    prepare: async () => ({ url: 'cluster://?ack=one', cleanup: nothing }),
  },
  {
    key: 'cluster-sticky-cookie-ack-none',
    strategy: 'Session clustering + sticky cookie, asynchronous replication',
    store: 'cluster:// ack=none (in every instance)',
    routing: 'sticky-cookie',
    shared: true,
    // ack=none answers before any peer has the write: a SIGKILL right after it can lose it. How
    // often is the measured window, not a promise.
    keepsEveryCart: false,
    prepare: async () => ({ url: 'cluster://?ack=none', cleanup: nothing }),
  },
  {
    key: 'redis-round-robin',
    strategy: 'In-memory DB: Redis',
    store: 'Redis',
    routing: 'round-robin',
    shared: true,
    keepsEveryCart: true,
    prepare: async () => {
      const base = process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379';
      const url = withParams(base, { prefix: `shop-scenario-${runId()}:` });
      await reachable(url, 'Redis', 'start redis-server or set REDIS_URL');
      return { url, cleanup: () => clearStore(url) };
    },
  },
  {
    key: 'redis-near-cache-round-robin',
    strategy: 'In-memory DB: Redis, each instance with a near cache',
    store: 'Redis + near cache (CLIENT TRACKING)',
    routing: 'round-robin',
    shared: true,
    // Reads are served from each instance's memory; Redis invalidates them on every write, and a
    // write answers only once the other instances have been sent their invalidation.
    keepsEveryCart: true,
    prepare: async () => {
      const base = process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379';
      const url = withParams(base, { prefix: `shop-scenario-${runId()}:`, nearCache: '10000' });
      await reachable(url, 'Redis', 'start redis-server or set REDIS_URL');
      return { url, cleanup: () => clearStore(url) };
    },
  },
  {
    key: 'redis-sentinel-failover',
    strategy: 'In-memory DB: Redis + Sentinel, the Redis master is killed',
    store: 'Redis master + replica + Sentinel',
    routing: 'round-robin',
    shared: true,
    // Replication to the replica is asynchronous: a write acknowledged just before the master dies
    // can be missing after the failover (RedisSessionStore's waitReplicas option closes that gap).
    keepsEveryCart: false,
    prepare: async () => {
      let setup: SentinelSetup;
      try {
        setup = await SentinelSetup.start();
      } catch (err) {
        throw new Error(
          `cannot start Redis servers (${(err as Error).message}); install Redis (apt-get install redis-server)`,
        );
      }
      return {
        url: `redis+sentinel://${setup.sentinel}/${MASTER_NAME}?prefix=shop-scenario-${runId()}:`,
        cleanup: () => setup.stop(),
        kill: async () => {
          await setup.killMaster();
          return 'Redis master';
        },
      };
    },
  },
  {
    key: 'sqlite-round-robin',
    strategy: 'Central store: SQLite file (embedded)',
    store: 'SQLite (one file, WAL)',
    routing: 'round-robin',
    shared: true,
    keepsEveryCart: true,
    prepare: async () => ({ url: undefined, cleanup: nothing }),
  },
  {
    key: 'postgres-round-robin',
    strategy: 'Central store: PostgreSQL',
    store: 'PostgreSQL',
    routing: 'round-robin',
    shared: true,
    keepsEveryCart: true,
    prepare: () =>
      freshTable(
        process.env['DATABASE_URL'] ?? 'postgres://root@127.0.0.1:5432/test',
        'PostgreSQL',
        'start PostgreSQL or set DATABASE_URL',
        dropPostgresTable,
      ),
  },
  {
    key: 'cookie-round-robin',
    strategy: 'Client-side storage (sealed cookie)',
    store: 'none: sealed in the cookie (cookie://)',
    routing: 'round-robin',
    shared: true,
    // Every instance opens every cookie; a crash loses nothing the browser holds. (Concurrent
    // requests of one shopper are another matter: the last Set-Cookie wins, measured separately.)
    keepsEveryCart: true,
    prepare: async () => ({ url: 'cookie://', cleanup: nothing }),
  },
  {
    key: 'mariadb-round-robin',
    strategy: 'Central store: MariaDB / MySQL',
    store: 'MariaDB',
    routing: 'round-robin',
    shared: true,
    keepsEveryCart: true,
    prepare: () =>
      freshTable(
        process.env['MYSQL_URL'] ?? 'mysql://root@127.0.0.1:3306/test',
        'MariaDB',
        'start MariaDB/MySQL or set MYSQL_URL',
        dropMysqlTable,
      ),
  },
];

/** A table of its own for one run on the SQL engine at `base`, dropped by `cleanup`. */
async function freshTable(
  base: string,
  engine: string,
  howToStart: string,
  dropTable: (url: string, table: string) => Promise<void>,
): Promise<PreparedStore> {
  const table = `shop_scenario_${runId()}`;
  const url = withParams(base, { table });
  await reachable(url, engine, howToStart);
  return { url, cleanup: () => dropTable(base, table) };
}

function withParams(url: string, params: Record<string, string>): string {
  const parsed = new URL(url);
  for (const [name, value] of Object.entries(params)) parsed.searchParams.set(name, value);
  return parsed.href;
}

/** One read through the store itself: proves the engine answers and the adapter is installed. */
async function reachable(url: string, engine: string, howToStart: string): Promise<void> {
  let store;
  try {
    store = openStore(url);
    await store.get('scenario-availability-probe');
  } catch (err) {
    throw new Error(`${engine} is not available (${(err as Error).message}); ${howToStart}`);
  } finally {
    await store?.close().catch(() => {});
  }
}

async function clearStore(url: string): Promise<void> {
  const store = openStore(url);
  try {
    await store.clear();
  } finally {
    await store.close();
  }
}

async function dropPostgresTable(url: string, table: string): Promise<void> {
  const { Client } = require('pg') as {
    Client: new (config: {
      connectionString: string;
    }) => { connect(): Promise<void>; query(sql: string): Promise<unknown>; end(): Promise<void> };
  };
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(`DROP TABLE IF EXISTS "${table}"`);
  } finally {
    await client.end();
  }
}

async function dropMysqlTable(url: string, table: string): Promise<void> {
  const mysql = require('mysql2/promise') as typeof import('mysql2/promise');
  const connection = await mysql.createConnection({ uri: url });
  try {
    await connection.query(`DROP TABLE IF EXISTS \`${table}\``);
  } finally {
    await connection.end();
  }
}
