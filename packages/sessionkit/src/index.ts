// Everything a user needs to pick a store by URL. Importing this module registers every store
// adapter with createStore; drivers (ioredis, pg, mysql2, better-sqlite3) load only when a store
// of their kind is created, so install just the one you use.
export * from '@sessionkit/core';
export { MemorySessionStore, type MemorySessionStoreOptions } from '@sessionkit/memory';
export { RedisSessionStore, ReplicationError, type RedisSessionStoreOptions } from '@sessionkit/redis';
export { SqlSessionStore, migrateFromConnectPgSimple, type SqlSessionStoreOptions } from '@sessionkit/sql';
export { ReplicatedSessionStore, type ReplicatedSessionStoreOptions } from '@sessionkit/cluster';
