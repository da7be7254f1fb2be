import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeSession, type SessionChange, type SessionData, type SessionStore } from '@sessionkit/core';
import { MemorySessionStore } from '@sessionkit/memory';
import { RedisSessionStore } from '@sessionkit/redis';
import { SqlSessionStore } from '@sessionkit/sql';
import { REDIS_URL, redisAvailable } from '@sessionkit/test-suite';
import Database from 'better-sqlite3';
import { Redis } from 'ioredis';
import { createClient } from 'redis';

export { REDIS_URL };

/** One opened store of a backend, with a way to damage what it stored. */
export interface OpenedBackend {
  store: SessionStore;
  /** Replaces the stored bytes of `sid` with bytes that do not decode. */
  corrupt(sid: string): Promise<void>;
  /** A store URL other processes can open to share this store (not for memory). */
  url?: string;
  close(): Promise<void>;
}

/** A store engine every adapter suite runs on. */
export interface Backend {
  name: 'memory' | 'redis' | 'redis (node-redis)' | 'sqlite';
  /** False (after one line saying what to start) when its engine is missing. */
  available(): Promise<boolean>;
  open(): Promise<OpenedBackend>;
}

/** A memory store whose backend can be handed raw stored bytes, as a damaged Redis value or SQL row would be. */
class CorruptibleMemoryStore extends MemorySessionStore {
  readonly raw = new Map<string, string>();
  protected override async read(sid: string): Promise<SessionData | null> {
    const text = this.raw.get(sid);
    return text === undefined ? super.read(sid) : decodeSession(sid, text);
  }
  // A write replaces the damaged bytes, as it would in Redis or SQL.
  protected override write(sid: string, data: SessionData, json: string, ttlMs: number): Promise<void> {
    this.raw.delete(sid);
    return super.write(sid, data, json, ttlMs);
  }
  protected override merge(sid: string, change: SessionChange, ttlMs: number): Promise<void> {
    this.raw.delete(sid);
    return super.merge(sid, change, ttlMs);
  }
}

const memory: Backend = {
  name: 'memory',
  available: async () => true,
  async open() {
    const store = new CorruptibleMemoryStore();
    return {
      store,
      corrupt: async (sid) => void store.raw.set(sid, '{"cookie": {"originalMaxAge": nul'),
      close: () => store.close(),
    };
  },
};

let redisChecked: Promise<boolean> | undefined;
const redis: Backend = {
  name: 'redis',
  available: () => (redisChecked ??= redisAvailable()),
  async open() {
    // A key prefix no other run uses, so nothing else on a shared server is touched.
    const prefix = `sessionkit-test:adapter:${randomBytes(4).toString('hex')}:`;
    const client = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
    const store = new RedisSessionStore({ client, prefix });
    const url = new URL(REDIS_URL);
    url.searchParams.set('prefix', prefix);
    return {
      store,
      url: url.href,
      corrupt: async (sid) => void (await client.hset(prefix + sid, 'cookie', '{not json')),
      async close() {
        await store.clear().catch(() => {});
        await store.close();
        client.disconnect();
      },
    };
  },
};

// The same Redis store on a node-redis client, the client connect-redis users already run.
const nodeRedis: Backend = {
  name: 'redis (node-redis)',
  available: () => redis.available(),
  async open() {
    const prefix = `sessionkit-test:adapter:${randomBytes(4).toString('hex')}:`;
    const client = createClient({ url: REDIS_URL });
    client.on('error', () => {});
    await client.connect();
    const store = new RedisSessionStore({ client, prefix });
    const url = new URL(REDIS_URL);
    url.searchParams.set('prefix', prefix);
    url.searchParams.set('client', 'node-redis');
    return {
      store,
      url: url.href,
      corrupt: async (sid) => void (await client.hSet(prefix + sid, 'cookie', '{not json')),
      async close() {
        await store.clear().catch(() => {});
        await store.close();
        if (client.isOpen) client.destroy();
      },
    };
  },
};

const sqlite: Backend = {
  name: 'sqlite',
  available: async () => true,
  async open() {
    const dir = mkdtempSync(join(tmpdir(), 'sessionkit-adapter-'));
    const file = join(dir, 'sessions.db');
    const db = new Database(file);
    db.pragma('journal_mode = WAL');
    const store = new SqlSessionStore({ client: db, table: 'sessions' });
    return {
      store,
      url: `sqlite:${file}?table=sessions`,
      corrupt: async (sid) => void db.prepare(`UPDATE sessions SET data = '{not json' WHERE sid = ?`).run(sid),
      async close() {
        await store.close();
        db.close();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  },
};

/** Memory, Redis (on ioredis and on node-redis) and SQLite: what `pnpm test` runs every adapter on. */
export const BACKENDS: readonly Backend[] = [memory, redis, nodeRedis, sqlite];
