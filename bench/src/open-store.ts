// Each store's libraries are imported when it is opened, so a server process loads only its own
// store's code (faster start, and nothing else's module state in the measured process).
import type { SessionStore } from '@sessionkit/core';
import { ExpressSessionStore } from '@sessionkit/express';
import type { Request, RequestHandler, Response } from 'express';
import session from 'express-session';
import { COOKIE_SECRET, SESSION_MAX_AGE_MS, type BackendConfig } from './backend-config.js';

/** Our table; their stores keep their default table names (`session`, `sessions`) next to it. */
const OUR_TABLE = 'sessionkit_sessions';

/** One store's operations through its library's own API, each returning a promise. */
export interface StoreOps {
  get(sid: string): Promise<unknown>;
  /** Replaces the whole session (express-session's `set`). */
  set(sid: string, data: Record<string, unknown>): Promise<void>;
  /** Merges top-level keys; only our stores have it. */
  patch?(sid: string, set: Record<string, unknown>): Promise<void>;
  /** Extends expiry; their stores take the whole session, ours only the TTL. */
  touch(sid: string, data: Record<string, unknown>): Promise<void>;
  /** Sessions held now. */
  count(): Promise<number>;
}

export interface OpenedStore {
  /** What express-session is given; absent for the no-session ceiling and client-side storage. */
  express?: session.Store;
  /** Our store itself, for the framework adapters other than Express (`FastifySessionStore`). */
  sessionkit?: SessionStore;
  /** What @fastify/session is given when it is not one of ours or `express` (its own MemoryStore). */
  fastify?: object;
  /** Client-side storage as middleware in place of express-session (cookie-session, cookieSession). */
  middleware?: RequestHandler;
  /** iron-session: the handler gets its session itself, and saves it. */
  iron?: (req: Request, res: Response) => Promise<Record<string, unknown> & { save(): Promise<void> }>;
  ops?: StoreOps;
  close(): Promise<void>;
}

/** Opens store `id` (see catalog.ts) against the backends in `config`, with each library's defaults. */
export async function openStore(id: string, config: BackendConfig): Promise<OpenedStore> {
  // The Fastify rows open the same stores; @fastify/session takes express-session style stores.
  if (id === 'fastify:MemoryStore') {
    const { default: fastifySession } = await import('@fastify/session');
    return { fastify: new fastifySession.MemoryStore(), close: async () => {} };
  }
  if (id.startsWith('fastify:')) return openStore(id.slice('fastify:'.length), config);
  switch (id) {
    case 'none':
      return { close: async () => {} };
    case 'cookie-session': {
      const { default: cookieSession } = await import('cookie-session');
      // Its defaults (keygrip HMAC-SHA1 signature in a second cookie), the same lifetime as every row.
      return {
        middleware: cookieSession({
          name: 'session',
          keys: [COOKIE_SECRET],
          maxAge: SESSION_MAX_AGE_MS,
        }) as RequestHandler,
        close: async () => {},
      };
    }
    case 'iron-session': {
      const { getIronSession } = await import('iron-session');
      const options = { cookieName: 'iron', password: COOKIE_SECRET, ttl: SESSION_MAX_AGE_MS / 1000 };
      return {
        iron: (req, res) =>
          getIronSession<Record<string, unknown>>(req, res, options) as Promise<
            Record<string, unknown> & { save(): Promise<void> }
          >,
        close: async () => {},
      };
    }
    case 'cookieSession': {
      const { cookieSession } = await import('@sessionkit/cookie');
      const sessions = cookieSession({
        name: 'session',
        secrets: [COOKIE_SECRET],
        cookie: { maxAge: SESSION_MAX_AGE_MS },
      });
      return { middleware: sessions as unknown as RequestHandler, close: () => sessions.close() };
    }
    case 'MemoryStore':
      return theirs(new session.MemoryStore(), async () => {});
    case 'memorystore': {
      const { default: createMemoryStore } = await import('memorystore');
      const MemoryStore = createMemoryStore(session);
      // checkPeriod as memorystore's README recommends; one day, so pruning never runs during a run.
      const store = new MemoryStore({ checkPeriod: SESSION_MAX_AGE_MS });
      return theirs(store, async () => store.stopInterval());
    }
    case 'connect-redis': {
      const [{ RedisStore }, { createClient }] = await Promise.all([import('connect-redis'), import('redis')]);
      const client = createClient({ url: config.redisUrl });
      await client.connect();
      return theirs(new RedisStore({ client }), async () => void (await client.close()));
    }
    case 'connect-pg-simple': {
      const [{ default: connectPgSimple }, { default: pg }] = await Promise.all([
        import('connect-pg-simple'),
        import('pg'),
      ]);
      const pool = new pg.Pool({ connectionString: config.postgresUrl });
      const PgStore = connectPgSimple(session);
      const store = new PgStore({ pool, createTableIfMissing: true });
      return theirs(store, async () => {
        await store.close();
        await pool.end();
      });
    }
    case 'express-mysql-session': {
      const [{ default: mysqlStore }, { default: mysql }] = await Promise.all([
        import('express-mysql-session'),
        import('mysql2/promise'),
      ]);
      // Handed a pool of the same mysql2 version our store uses, so the driver is not a difference.
      const pool = mysql.createPool(config.mysqlUrl);
      const MySqlStore = mysqlStore(session);
      const store = new MySqlStore({ createDatabaseTable: true }, pool);
      await store.onReady();
      return theirs(store, async () => {
        await store.close();
        await pool.end();
      });
    }
    case 'memory': {
      const { MemorySessionStore } = await import('@sessionkit/memory');
      return ours(new MemorySessionStore(config.memoryMax ? { max: config.memoryMax } : {}), async () => {});
    }
    case 'redis-hash':
    case 'redis-hash (node-redis)':
    case 'redis-json': {
      // From the URL, as createStore(SESSION_STORE_URL) builds it: the store's own client settings.
      const { RedisSessionStore } = await import('@sessionkit/redis');
      const format = id === 'redis-json' ? 'json' : 'hash';
      const nodeRedis = id === 'redis-hash (node-redis)';
      const url = nodeRedis ? withQuery(config.redisUrl, 'client', 'node-redis') : config.redisUrl;
      const store = RedisSessionStore.fromUrl(url, { format, prefix: nodeRedis ? 'hash-node-redis:' : `${format}:` });
      return ours(store, () => store.close());
    }
    case 'redis-hash + near cache': {
      const { RedisSessionStore } = await import('@sessionkit/redis');
      const url = new URL(config.redisUrl);
      url.searchParams.set('client', 'node-redis');
      url.searchParams.set('nearCache', '10000');
      const store = RedisSessionStore.fromUrl(url.href, { prefix: 'near:' });
      return ours(store, () => store.close());
    }
    case 'sql:postgres': {
      const [{ SqlSessionStore }, { default: pg }] = await Promise.all([import('@sessionkit/sql'), import('pg')]);
      const pool = new pg.Pool({ connectionString: config.postgresUrl });
      return ours(new SqlSessionStore({ client: pool, table: OUR_TABLE }), () => pool.end());
    }
    case 'sql:mysql': {
      const [{ SqlSessionStore }, { default: mysql }] = await Promise.all([
        import('@sessionkit/sql'),
        import('mysql2/promise'),
      ]);
      const pool = mysql.createPool(config.mysqlUrl);
      return ours(new SqlSessionStore({ client: pool, table: OUR_TABLE }), () => pool.end());
    }
    case 'sql:sqlite': {
      const [{ SqlSessionStore }, { default: Database }] = await Promise.all([
        import('@sessionkit/sql'),
        import('better-sqlite3'),
      ]);
      const db = new Database(config.sqliteFile);
      // WAL, as the store's README recommends for a file shared by concurrent readers and a writer.
      db.pragma('journal_mode = WAL');
      return ours(new SqlSessionStore({ client: db, table: OUR_TABLE }), async () => void db.close());
    }
    case 'cluster': {
      if (!config.cluster) throw new Error('the cluster store needs BackendConfig.cluster');
      const { ReplicatedSessionStore } = await import('@sessionkit/cluster');
      const { nodes, node, secret } = config.cluster;
      const store = new ReplicatedSessionStore({
        listen: nodes[node]!,
        peers: nodes.filter((_, index) => index !== node),
        nodeId: `bench-node-${node}`,
        secret,
        ...(config.memoryMax ? { max: config.memoryMax } : {}),
      });
      await store.ready();
      return ours(store, async () => {});
    }
    default:
      throw new Error(`no such store ${JSON.stringify(id)}`);
  }
}

/** `url` with `name=value` added to its query. */
function withQuery(url: string, name: string, value: string): string {
  return `${url}${url.includes('?') ? '&' : '?'}${name}=${encodeURIComponent(value)}`;
}

/** Their express-session Store, driven through its callback API. */
function theirs(store: session.Store, release: () => Promise<void>): OpenedStore {
  const call = <T>(fn: (done: (error?: unknown, value?: T) => void) => void) =>
    new Promise<T | undefined>((resolve, reject) => fn((error, value) => (error ? reject(error) : resolve(value))));
  const asSession = (data: Record<string, unknown>) => data as unknown as session.SessionData;
  return {
    express: store,
    ops: {
      get: (sid) => call((done) => store.get(sid, done)),
      set: async (sid, data) => void (await call((done) => store.set(sid, asSession(data), done))),
      // The typings give touch's callback no arguments; the stores do pass an error.
      touch: async (sid, data) =>
        void (await call((done) => store.touch!(sid, asSession(data), (...result: unknown[]) => done(result[0])))),
      count: async () => (await call<number>((done) => store.length!(done))) ?? 0,
    },
    close: release,
  };
}

/** Our SessionStore, driven through its promise API; express-session gets it through ExpressSessionStore. */
function ours(store: SessionStore, release: () => Promise<void>): OpenedStore {
  const ttl = { ttlMs: SESSION_MAX_AGE_MS };
  return {
    express: new ExpressSessionStore(store),
    sessionkit: store,
    ops: {
      get: (sid) => store.get(sid),
      set: (sid, data) => store.set(sid, data, ttl),
      patch: (sid, set) => store.patch(sid, { set, unset: [] }, ttl),
      touch: (sid) => store.touch(sid, ttl),
      count: () => store.length(),
    },
    close: async () => {
      await store.close();
      await release();
    },
  };
}
