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
  /** The app the store is measured in. Default `'express'` (Express 5 + express-session). */
  framework?: Framework;
  /** Client-side storage: the session travels in the cookie; there is no store API to measure. */
  clientSide?: boolean;
}

/** Every store measured, in table order: the ceiling, then theirs, then ours. */
export const STORES: readonly StoreSpec[] = [
  { id: 'none', side: 'ceiling', engine: 'none', description: 'no session middleware at all (the ceiling)' },
  { id: 'MemoryStore', side: 'theirs', engine: 'memory', description: "express-session's built-in MemoryStore", inProcess: true },
  { id: 'memorystore', side: 'theirs', engine: 'memory', description: 'memorystore (lru-cache based, prunes expired entries)', inProcess: true },
  { id: 'connect-redis', side: 'theirs', engine: 'redis', description: 'connect-redis 9 with node-redis 5' },
  { id: 'connect-pg-simple', side: 'theirs', engine: 'postgres', description: 'connect-pg-simple 10 with pg' },
  { id: 'express-mysql-session', side: 'theirs', engine: 'mysql', description: 'express-mysql-session 3 with mysql2' },
  { id: 'memory', side: 'ours', engine: 'memory', description: '@sessionkit/memory (bounded lru-cache)', inProcess: true },
  { id: 'redis-hash', side: 'ours', engine: 'redis', description: '@sessionkit/redis, hash layout (default), ioredis' },
  { id: 'redis-json', side: 'ours', engine: 'redis', description: "@sessionkit/redis, format 'json' (connect-redis layout), ioredis" },
  { id: 'sql:postgres', side: 'ours', engine: 'postgres', description: '@sessionkit/sql on PostgreSQL (pg)' },
  { id: 'sql:mysql', side: 'ours', engine: 'mysql', description: '@sessionkit/sql on MariaDB (mysql2)' },
  { id: 'sql:sqlite', side: 'ours', engine: 'sqlite', description: '@sessionkit/sql on SQLite (better-sqlite3, file in the temp dir)' },
  { id: 'cluster', side: 'ours', engine: 'cluster', description: '@sessionkit/cluster, 3 nodes in 3 processes, requests to one', inProcess: true },
  // The same cart app on Fastify 5 + @fastify/session (its defaults: `rolling`, so every request saves).
  { id: 'fastify:none', side: 'ceiling', engine: 'none', framework: 'fastify', description: 'Fastify without session plugins (the Fastify ceiling)' },
  { id: 'fastify:MemoryStore', side: 'theirs', engine: 'memory', framework: 'fastify', description: "Fastify + @fastify/session's default in-memory store" },
  { id: 'fastify:connect-redis', side: 'theirs', engine: 'redis', framework: 'fastify', description: 'Fastify + @fastify/session + connect-redis 9 with node-redis 5' },
  { id: 'fastify:memory', side: 'ours', engine: 'memory', framework: 'fastify', description: 'Fastify + @fastify/session + FastifySessionStore on @sessionkit/memory' },
  { id: 'fastify:redis-hash', side: 'ours', engine: 'redis', framework: 'fastify', description: 'Fastify + @fastify/session + FastifySessionStore on @sessionkit/redis (hash layout, ioredis)' },
  { id: 'cookie-session', side: 'theirs', engine: 'none', description: 'cookie-session 2 (signed with keygrip, not encrypted; two cookies)', clientSide: true },
  { id: 'iron-session', side: 'theirs', engine: 'none', description: 'iron-session 9, `getIronSession(req, res, options)` in the handler (sealed, WebCrypto)', clientSide: true },
  { id: 'cookieSession', side: 'ours', engine: 'none', description: '@sessionkit/cookie `cookieSession` (JWE dir + A256GCM, node:crypto)', clientSide: true },
];

/** Ours/theirs pairs shown as ratios. */
export const COMPARISONS: readonly { ours: string; theirs: string }[] = [
  { ours: 'redis-hash', theirs: 'connect-redis' },
  { ours: 'redis-json', theirs: 'connect-redis' },
  { ours: 'sql:postgres', theirs: 'connect-pg-simple' },
  { ours: 'sql:mysql', theirs: 'express-mysql-session' },
  { ours: 'memory', theirs: 'MemoryStore' },
  { ours: 'memory', theirs: 'memorystore' },
  { ours: 'cluster', theirs: 'memory' },
  { ours: 'fastify:redis-hash', theirs: 'fastify:connect-redis' },
  { ours: 'fastify:memory', theirs: 'fastify:MemoryStore' },
  { ours: 'cookieSession', theirs: 'iron-session' },
  { ours: 'cookieSession', theirs: 'cookie-session' },
];

/** Client-side storage rows, compared in their own table (header bytes included). */
export const CLIENT_SIDE_IDS: readonly string[] = STORES.filter((store) => store.clientSide).map((store) => store.id);

export function storeSpec(id: string): StoreSpec {
  const spec = STORES.find((store) => store.id === id);
  if (!spec) throw new Error(`unknown store ${JSON.stringify(id)}; known: ${STORES.map((store) => store.id).join(', ')}`);
  return spec;
}
