/** Which side of the comparison a store is on; `ceiling` is the app without sessions. */
export type Side = 'ours' | 'theirs' | 'ceiling';

/** The web framework of the benchmarked app. */
export type Framework = 'express' | 'fastify';

/** What a store needs running before it can be measured. */
export type Engine = 'none' | 'memory' | 'redis' | 'postgres' | 'mysql' | 'sqlite' | 'cluster';

export interface StoreSpec {
  /** Row name in every table; also the id the server process opens the store by. */
  id: string;
  side: Side;
  engine: Engine;
  /** What the row is, for the docs. */
  description: string;
  /** Holds sessions in the server process, so its resident memory per 100,000 sessions is measured. */
  inProcess?: boolean;
  /**
   * Which profile frames are the store's own code (see profile.ts `StoreCode`), for `--profile`
   * summaries: script URL fragments of the library's store files. Default: sessionkit's packages.
   */
  storeCode?: readonly string[];
  /**
   * The app the store is measured in. Default `'express'` (Express 5 + express-session); the
   * `'fastify'` rows serve the same routes on Fastify 5 + @fastify/session (fastify-app.ts) and
   * have no store throughput, memory or Store API rows (the same store libraries as the Express rows).
   */
  framework?: Framework;
  /**
   * Client-side storage: the session travels in the cookie; there is no store API to measure (no
   * store throughput, memory or Store API rows), and the client-side table shows its header bytes.
   */
  clientSide?: boolean;
}

/** Every store measured, in table order: the ceiling, then theirs, then ours. */
export const STORES: readonly StoreSpec[] = [
  { id: 'none', side: 'ceiling', engine: 'none', description: 'no session middleware at all (the ceiling)' },
  {
    id: 'MemoryStore',
    side: 'theirs',
    engine: 'memory',
    description: "express-session's built-in MemoryStore",
    inProcess: true,
    // store.js: Store#createSession, which ours reaches through ExpressSessionStore#createSession.
    storeCode: ['express-session/session/memory.js', 'express-session/session/store.js'],
  },
  {
    id: 'memorystore',
    side: 'theirs',
    engine: 'memory',
    description: 'memorystore (lru-cache based, prunes expired entries)',
    inProcess: true,
    storeCode: ['/memorystore/', 'express-session/session/store.js'],
  },
  {
    id: 'connect-redis',
    side: 'theirs',
    engine: 'redis',
    description: 'connect-redis 9 with node-redis 5',
    storeCode: ['/connect-redis/', 'express-session/session/store.js'],
  },
  {
    id: 'connect-pg-simple',
    side: 'theirs',
    engine: 'postgres',
    description: 'connect-pg-simple 10 with pg',
    storeCode: ['/connect-pg-simple/', 'express-session/session/store.js'],
  },
  {
    id: 'express-mysql-session',
    side: 'theirs',
    engine: 'mysql',
    description: 'express-mysql-session 3 with mysql2',
    storeCode: ['/express-mysql-session/', 'express-session/session/store.js'],
  },
  {
    id: 'memory',
    side: 'ours',
    engine: 'memory',
    description: '@sessionkit/memory (bounded lru-cache)',
    inProcess: true,
  },
  { id: 'redis-hash', side: 'ours', engine: 'redis', description: '@sessionkit/redis, hash layout (default), ioredis' },
  {
    id: 'redis-hash (node-redis)',
    side: 'ours',
    engine: 'redis',
    description:
      '@sessionkit/redis, hash layout (default), node-redis 5 (the client connect-redis uses): `?client=node-redis`',
  },
  {
    id: 'redis-json',
    side: 'ours',
    engine: 'redis',
    description: "@sessionkit/redis, format 'json' (connect-redis layout), ioredis",
  },
  {
    id: 'redis-hash + near cache',
    side: 'ours',
    engine: 'redis',
    description:
      '@sessionkit/redis, hash layout, node-redis (the client connect-redis uses), with the near cache (`?client=node-redis&nearCache=10000`: sessions read from process memory, kept correct by CLIENT TRACKING)',
  },
  { id: 'sql:postgres', side: 'ours', engine: 'postgres', description: '@sessionkit/sql on PostgreSQL (pg)' },
  { id: 'sql:mysql', side: 'ours', engine: 'mysql', description: '@sessionkit/sql on MariaDB (mysql2)' },
  {
    id: 'sql:sqlite',
    side: 'ours',
    engine: 'sqlite',
    description: '@sessionkit/sql on SQLite (better-sqlite3, file in the temp dir)',
  },
  {
    id: 'cluster',
    side: 'ours',
    engine: 'cluster',
    description: '@sessionkit/cluster, 3 nodes in 3 processes, requests to one',
    inProcess: true,
  },
  // The same cart app on Fastify 5 + @fastify/session (its defaults: `rolling`, so every request saves).
  {
    id: 'fastify:none',
    side: 'ceiling',
    engine: 'none',
    framework: 'fastify',
    description: 'Fastify without session plugins (the Fastify ceiling)',
  },
  {
    id: 'fastify:MemoryStore',
    side: 'theirs',
    engine: 'memory',
    framework: 'fastify',
    description: "Fastify + @fastify/session's default in-memory store",
    storeCode: ['@fastify/session/lib/store.js'],
  },
  {
    id: 'fastify:connect-redis',
    side: 'theirs',
    engine: 'redis',
    framework: 'fastify',
    description: 'Fastify + @fastify/session + connect-redis 9 with node-redis 5',
    storeCode: ['/connect-redis/'],
  },
  {
    id: 'fastify:memory',
    side: 'ours',
    engine: 'memory',
    framework: 'fastify',
    description: 'Fastify + @fastify/session + FastifySessionStore on @sessionkit/memory',
  },
  {
    id: 'fastify:redis-hash',
    side: 'ours',
    engine: 'redis',
    framework: 'fastify',
    description: 'Fastify + @fastify/session + FastifySessionStore on @sessionkit/redis (hash layout, ioredis)',
  },
  {
    id: 'cookie-session',
    side: 'theirs',
    engine: 'none',
    description: 'cookie-session 2 (signed with keygrip, not encrypted; two cookies)',
    clientSide: true,
  },
  {
    id: 'iron-session',
    side: 'theirs',
    engine: 'none',
    description: 'iron-session 9, `getIronSession(req, res, options)` in the handler (sealed, WebCrypto)',
    clientSide: true,
  },
  {
    id: 'cookieSession',
    side: 'ours',
    engine: 'none',
    description: '@sessionkit/cookie `cookieSession` (JWE dir + A256GCM, node:crypto)',
    clientSide: true,
  },
];

/** An ours/theirs pair shown as ratios (ours divided by theirs). */
export interface Comparison {
  ours: string;
  theirs: string;
  /**
   * The least ours/theirs requests per second ratio (median of per-round ratios) per request kind.
   * A comparison with a target is a headline comparison; when `theirs` is another library's store,
   * its server CPU per request must also be at most theirs (median of per-round ratios ≤ 1.0) for
   * each kind whose target is 1.0 or more. A target below 1.0 concedes that ours does more work per
   * request (cookieSession encrypts what cookie-session only signs), so it has no CPU line.
   */
  target?: { read?: number; write?: number };
  /**
   * Also in the in-process Store API micro-benchmark: express-session's callback get/set/touch on
   * both stores (opened by `openStore`, ours wrapped in ExpressSessionStore) in one process.
   */
  storeApi?: boolean;
}

/**
 * Every comparison: the Express app's stores (headline ones, with targets, first), then the Fastify
 * app's and the client-side rows, each with its own targets. A new row plugs in by a STORES entry, an
 * `openStore` case and a line here; the round schedule, the ratio, target and Store API tables
 * and the docs follow from it.
 */
export const COMPARISONS: readonly Comparison[] = [
  { ours: 'memory', theirs: 'MemoryStore', target: { read: 1.05, write: 1.0 }, storeApi: true },
  { ours: 'redis-hash', theirs: 'connect-redis', target: { read: 1.15, write: 1.0 }, storeApi: true },
  // The same Redis client library on both sides: only the stores differ.
  { ours: 'redis-hash (node-redis)', theirs: 'connect-redis', target: { read: 1.3, write: 1.1 }, storeApi: true },
  // A read served from process memory costs no Redis command; a write costs one more (the fence).
  { ours: 'redis-hash + near cache', theirs: 'connect-redis', target: { read: 1.6 } },
  { ours: 'sql:postgres', theirs: 'connect-pg-simple', target: { read: 1.3, write: 1.0 } },
  { ours: 'redis-json', theirs: 'connect-redis' },
  // The reach of any store in this app: express-session's own in-process Map, which sends nothing
  // over a network, against connect-redis. No store can read faster than that relative to it.
  { ours: 'MemoryStore', theirs: 'connect-redis' },
  { ours: 'sql:mysql', theirs: 'express-mysql-session' },
  { ours: 'memory', theirs: 'memorystore' },
  { ours: 'cluster', theirs: 'memory', target: { read: 0.9 } },
  // The Fastify app: @fastify/session on FastifySessionStore against its own store and connect-redis.
  { ours: 'fastify:redis-hash', theirs: 'fastify:connect-redis', target: { read: 1.0 } },
  { ours: 'fastify:memory', theirs: 'fastify:MemoryStore' },
  // The reach of any store under @fastify/session: its own Map, which does not even encode, against connect-redis.
  { ours: 'fastify:MemoryStore', theirs: 'fastify:connect-redis' },
  // Client-side storage (the session in a sealed or signed cookie) in the Express app.
  { ours: 'cookieSession', theirs: 'iron-session', target: { read: 1.2, write: 1.2 } },
  { ours: 'cookieSession', theirs: 'cookie-session', target: { read: 0.9, write: 0.9 } },
];

/** `ours vs theirs`, the comparison's name in every table. */
export function comparisonLabel(comparison: Pick<Comparison, 'ours' | 'theirs'>): string {
  return `${comparison.ours} vs ${comparison.theirs}`;
}

/** Client-side storage rows, compared in their own table (header bytes included). */
export const CLIENT_SIDE_IDS: readonly string[] = STORES.filter((store) => store.clientSide).map((store) => store.id);

export function storeSpec(id: string): StoreSpec {
  const spec = STORES.find((store) => store.id === id);
  if (!spec)
    throw new Error(`unknown store ${JSON.stringify(id)}; known: ${STORES.map((store) => store.id).join(', ')}`);
  return spec;
}
