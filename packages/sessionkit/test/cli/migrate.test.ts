import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { RedisStore } from 'connect-redis';
import connectPgSimple from 'connect-pg-simple';
import session from 'express-session';
import mysqlSessionStore from 'express-mysql-session';
import { Redis } from 'ioredis';
import mysql from 'mysql2/promise';
import pg from 'pg';
import { createClient } from 'redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createStore, RedisSessionStore, type SessionData, type SessionStore } from '../../src/index.js';
import {
  deleteRedisPrefix,
  finished,
  MYSQL_URL,
  mysqlAvailable,
  POSTGRES_URL,
  postgresAvailable,
  REDIS_URL,
  redisAvailable,
  runCli,
  scratchDir,
  spawnCli,
  unique,
  withTable,
  PATIENT,
} from '../support/cli.js';

const dir = scratchDir();
const MINUTE = 60_000;

/** An express-session session of `user` whose cookie expires in `maxAge` ms. */
function expressSession(user: string, maxAge: number, extra: SessionData = {}): SessionData {
  return {
    cookie: { originalMaxAge: maxAge, expires: new Date(Date.now() + maxAge).toISOString(), httpOnly: true, path: '/' },
    passport: { user },
    ...extra,
  };
}

/** Reads every session of a store as `sid → data`. */
async function everySession(store: SessionStore): Promise<Map<string, SessionData>> {
  const out = new Map<string, SessionData>();
  for await (const sid of store.ids()) {
    const data = await store.get(sid);
    if (data) out.set(sid, data);
  }
  return out;
}

/** Expiry column of a sessionkit SQLite table, `sid → epoch ms`. */
async function sqliteExpiries(file: string, table = 'sessions'): Promise<Map<string, number>> {
  const { default: Database } = await import('better-sqlite3');
  const db = new Database(file, { readonly: true });
  try {
    const rows = db.prepare(`SELECT sid, expires_at FROM ${table} WHERE data IS NOT NULL`).all() as {
      sid: string;
      expires_at: number;
    }[];
    return new Map(rows.map((row) => [row.sid, Number(row.expires_at)]));
  } finally {
    db.close();
  }
}

describe.skipIf(!redisAvailable)('migrate from connect-redis: undecodable rows', { timeout: 300_000 }, () => {
  const prefix = `${unique('bad')}:`;
  const raw = new Redis(REDIS_URL);
  const nodeRedis = createClient({ url: REDIS_URL });
  afterAll(async () => {
    await deleteRedisPrefix(prefix);
    raw.disconnect();
    if (nodeRedis.isOpen) await nodeRedis.quit();
  });

  it('skips them, counts and names them in the summary, copies the rest, and exits 4', async () => {
    await nodeRedis.connect();
    const theirs = new RedisStore({ client: nodeRedis, prefix });
    for (let i = 0; i < 20; i++)
      await theirs.set(
        `good-session-${i}`,
        expressSession(`user-${i % 4}`, 30 * MINUTE) as unknown as session.SessionData,
      );
    await raw.set(`${prefix}not-json-1`, '{"cookie": {', 'PX', 600_000);
    await raw.set(`${prefix}not-an-object`, '[1, 2, 3]', 'PX', 600_000);
    await raw.hset(`${prefix}a-hash-key`, 'cookie', '{}');
    await raw.set(`${prefix}bad\u0001sid`, '{"a":1}', 'PX', 600_000);
    const file = join(dir, 'undecodable.db');
    const { status, stdout } = await runCli([
      'migrate',
      `connect-redis+${REDIS_URL}?prefix=${prefix}`,
      `sqlite:${file}`,
      '--state',
      join(dir, 'undecodable.json'),
    ]);
    expect(status).toBe(4);
    expect(stdout).toMatch(/read\s+24/);
    expect(stdout).toMatch(/copied\s+20/);
    expect(stdout).toMatch(/undecodable\s+4/);
    expect(stdout).toContain('"not-json-1":');
    expect(stdout).toContain(
      '"not-an-object": Stored session not-an-object does not decode: expected a JSON object, got array',
    );
    expect(stdout).toContain('"a-hash-key": not a JSON string');
    expect(stdout).toContain('"bad\\u0001sid": the sid is not one sessionkit accepts');
    expect(stdout).toContain('4 rows were not copied (exit code 4)');
    const target = createStore(`sqlite:${file}`, PATIENT);
    try {
      expect(await target.length()).toBe(20);
      expect(await target.get('good-session-3')).toMatchObject({ passport: { user: 'user-3' } });
    } finally {
      await target.close();
    }
  });
});

describe.skipIf(!postgresAvailable)(
  'migrate from connect-pg-simple: resumable, dry run, finished runs',
  { timeout: 300_000 },
  () => {
    // A schema of its own: connect-pg-simple names its key and index alike in every table
    // (session_pkey, IDX_session_expire), so a table left in a shared schema by a run that was
    // killed would make its CREATE fail here.
    const schema = unique('pgsimple');
    const table = 'session';
    const pool = new pg.Pool({ connectionString: POSTGRES_URL, max: 4 });
    const source = `connect-pg-simple+${withTable(POSTGRES_URL, table)}&schema=${schema}`;
    const expires = new Map<string, number>();
    beforeAll(async () => {
      const PgStore = connectPgSimple(session);
      await pool.query(`CREATE SCHEMA "${schema}"`);
      const theirs = new PgStore({
        pool,
        schemaName: schema,
        tableName: table,
        createTableIfMissing: true,
        pruneSessionInterval: false,
      });
      const set = promisify(theirs.set.bind(theirs)) as (sid: string, data: unknown) => Promise<void>;
      for (let start = 0; start < 1200; start += 100) {
        await Promise.all(
          Array.from({ length: 100 }, (_, k) => {
            const i = start + k;
            const data = expressSession(`user-${i % 50}`, (10 + (i % 600)) * MINUTE, { visits: i });
            expires.set(
              `pgs-session-${String(i).padStart(4, '0')}`,
              Date.parse((data['cookie'] as { expires: string }).expires),
            );
            return set(`pgs-session-${String(i).padStart(4, '0')}`, data);
          }),
        );
      }
    }, 120_000);
    afterAll(async () => {
      await pool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await pool.end();
    });

    it('--dry-run reads and counts but writes nothing, not even a state file', async () => {
      const file = join(dir, 'dry.db');
      const state = join(dir, 'dry.json');
      const { status, stdout } = await runCli([
        'migrate',
        source,
        `sqlite:${file}`,
        '--dry-run',
        '--state',
        state,
        '--json',
      ]);
      expect(status).toBe(0);
      const summary = JSON.parse(stdout);
      expect(summary).toMatchObject({
        dryRun: true,
        outcome: 'done',
        counts: { read: 1200, copied: 1200, undecodable: 0 },
      });
      expect(existsSync(state)).toBe(false);
      expect(existsSync(file)).toBe(false);
    });

    it('--max-rows pauses (exit 5); the same command resumes and finishes; a finished migration is not run twice', async () => {
      const file = join(dir, 'resumed.db');
      const state = join(dir, 'resumed.json');
      const args = ['migrate', source, `sqlite:${file}`, '--state', state, '--batch-size', '200', '--json'];
      const first = await runCli([...args, '--max-rows', '500']);
      expect(first.status).toBe(5);
      expect(JSON.parse(first.stdout)).toMatchObject({ outcome: 'paused', counts: { read: 600, copied: 600 } });
      expect(JSON.parse(readFileSync(state, 'utf8'))).toMatchObject({ done: false, cursor: 'pgs-session-0599' });
      const second = await runCli(args);
      expect(second.status).toBe(0);
      const summary = JSON.parse(second.stdout);
      expect(summary).toMatchObject({
        outcome: 'done',
        resumed: true,
        counts: { read: 1200, copied: 1200, missing: 0, estimatedTtl: 0 },
      });
      // The copies keep connect-pg-simple's expiry (whole seconds, rounded up by it), less the 1 s margin, never more.
      const copied = await sqliteExpiries(file);
      expect(copied.size).toBe(1200);
      for (const [sid, cookieExpiry] of expires) {
        const at = copied.get(sid) as number;
        expect(at).toBeLessThanOrEqual(Math.ceil(cookieExpiry / 1000) * 1000);
        expect(at).toBeGreaterThan(cookieExpiry - 3000);
      }
      const third = await runCli(args);
      expect(third.status).toBe(2);
      expect(third.stderr).toMatch(/this migration finished at .* pass --restart/);
      const restarted = await runCli([...args, '--restart']);
      expect(restarted.status).toBe(0);
      expect(JSON.parse(restarted.stdout)).toMatchObject({ resumed: false, counts: { copied: 1200 } });
    });

    it('Ctrl-C stops after the batch in progress (exit 130); the same command resumes', async () => {
      const file = join(dir, 'interrupted.db');
      const state = join(dir, 'interrupted.json');
      const args = ['migrate', source, `sqlite:${file}`, '--state', state, '--batch-size', '5', '--json'];
      const child = spawnCli(args);
      const done = finished(child);
      // Interrupt once the first batches are saved: 240 batches are far from done by then.
      const deadline = Date.now() + 60_000;
      while (!existsSync(state) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
      child.kill('SIGINT');
      const interrupted = await done;
      expect(interrupted.status).toBe(130);
      expect(interrupted.stderr).toContain('stopping after the batch in progress');
      const paused = JSON.parse(interrupted.stdout);
      expect(paused.outcome).toBe('interrupted');
      expect(paused.counts.read).toBeLessThan(1200);
      const resumed = await runCli(args);
      expect(resumed.status).toBe(0);
      expect(JSON.parse(resumed.stdout)).toMatchObject({ resumed: true, counts: { read: 1200, copied: 1200 } });
      expect((await sqliteExpiries(file)).size).toBe(1200);
    });
  },
);

describe.skipIf(!mysqlAvailable || !postgresAvailable)(
  'migrate from express-mysql-session to PostgreSQL',
  { timeout: 300_000 },
  () => {
    const table = unique('mysqlsess');
    const target = unique('frommysql');
    const pool = mysql.createPool({ uri: MYSQL_URL, connectionLimit: 4 });
    const admin = new pg.Pool({ connectionString: POSTGRES_URL, max: 2 });
    afterAll(async () => {
      await pool.query(`DROP TABLE IF EXISTS \`${table}\``);
      await admin.query(`DROP TABLE IF EXISTS ${target}`);
      await Promise.all([pool.end(), admin.end()]);
    });

    it('copies every session with its expiry, read through the PostgreSQL store afterwards', async () => {
      const MySqlStore = mysqlSessionStore(session);
      // clearExpired: false, so it starts no timer of its own
      const theirs = new MySqlStore(
        { createDatabaseTable: true, clearExpired: false, schema: { tableName: table } } as {
          createDatabaseTable: boolean;
        },
        pool,
      );
      await theirs.onReady();
      const set = (sid: string, data: SessionData) =>
        (theirs.set as unknown as (sid: string, data: unknown) => Promise<void>)(sid, data);
      for (let i = 0; i < 300; i++)
        await set(`ems-session-${i}`, expressSession(`user-${i % 30}`, (5 + i) * MINUTE, { cart: [i] }));
      await pool.query(
        `INSERT INTO \`${table}\` (session_id, expires, data) VALUES ('ems-garbage', ?, 'not json at all')`,
        [Math.floor(Date.now() / 1000) + 600],
      );
      const to = withTable(POSTGRES_URL, target);
      const { status, stdout } = await runCli([
        'migrate',
        `express-mysql-session+${MYSQL_URL}?table=${table}`,
        to,
        '--state',
        join(dir, 'mysql.json'),
        '--json',
      ]);
      expect(status).toBe(4);
      const summary = JSON.parse(stdout);
      expect(summary.counts).toMatchObject({ read: 301, copied: 300, undecodable: 1 });
      expect(summary.skipped).toEqual([{ sid: 'ems-garbage', reason: expect.stringMatching(/does not decode/) }]);
      const [rows] = (await pool.query(`SELECT session_id, expires FROM \`${table}\``)) as unknown as [
        { session_id: string; expires: number }[],
      ];
      const sourceExpiry = new Map(rows.map((row) => [row.session_id, row.expires * 1000]));
      const { rows: copied } = await admin.query<{ sid: string; expires_at: string }>(
        `SELECT sid, expires_at FROM ${target}`,
      );
      expect(copied).toHaveLength(300);
      for (const row of copied) expect(Number(row.expires_at)).toBeLessThanOrEqual(sourceExpiry.get(row.sid) as number);
      const store = createStore(to, PATIENT);
      try {
        expect(await store.get('ems-session-7')).toMatchObject({ passport: { user: 'user-7' }, cart: [7] });
        const users = await everySession(store);
        expect(users.size).toBe(300);
      } finally {
        await store.close();
      }
    });
  },
);

describe.skipIf(!postgresAvailable)('migrate between sessionkit stores', { timeout: 300_000 }, () => {
  const target = unique('fromsqlite');
  const admin = new pg.Pool({ connectionString: POSTGRES_URL, max: 2 });
  afterAll(async () => {
    await admin.query(`DROP TABLE IF EXISTS ${target}`);
    await admin.end();
  });

  it('SQLite store → PostgreSQL store: expiry from cookie.expires where the store does not report it, --default-ttl otherwise', async () => {
    const file = join(dir, 'source.db');
    const source = createStore(`sqlite:${file}`, PATIENT);
    try {
      for (let i = 0; i < 150; i++)
        await source.set(`sk-session-${i}`, expressSession(`user-${i % 10}`, (20 + i) * MINUTE), {
          ttlMs: (20 + i) * MINUTE,
        });
      await source.set('sk-no-cookie', { userId: 'api-client' }, { ttlMs: 60 * MINUTE });
    } finally {
      await source.close();
    }
    const to = withTable(POSTGRES_URL, target);
    const { status, stdout } = await runCli([
      'migrate',
      `sqlite:${file}`,
      to,
      '--state',
      join(dir, 'sk.json'),
      '--default-ttl',
      String(5 * MINUTE),
      '--json',
    ]);
    expect(status).toBe(0);
    const summary = JSON.parse(stdout);
    expect(summary.counts).toMatchObject({ read: 151, copied: 151, undecodable: 0 });
    const store = createStore(to, PATIENT);
    try {
      expect(await store.length()).toBe(151);
      const ids: string[] = [];
      for await (const sid of store.idsByPrincipal('user-3')) ids.push(sid);
      expect(ids).toHaveLength(15);
    } finally {
      await store.close();
    }
    const sourceExpiry = await sqliteExpiries(file);
    const { rows } = await admin.query<{ sid: string; expires_at: string }>(`SELECT sid, expires_at FROM ${target}`);
    for (const row of rows) expect(Number(row.expires_at)).toBeLessThanOrEqual(sourceExpiry.get(row.sid) as number);
  });
});

describe.skipIf(!redisAvailable)('migrate from a sessionkit redis://…?format=json URL', { timeout: 300_000 }, () => {
  const prefix = `${unique('json')}:`;
  const client = new Redis(REDIS_URL);
  afterAll(async () => {
    await deleteRedisPrefix(prefix);
    client.disconnect();
  });

  it('is read like connect-redis, with each key’s own TTL', async () => {
    const ours = new RedisSessionStore({ client, prefix, format: 'json' });
    for (let i = 0; i < 40; i++)
      await ours.set(`json-session-${i}`, { userId: `u${i % 4}` }, { ttlMs: (10 + i) * MINUTE });
    const file = join(dir, 'from-json.db');
    const { status, stdout } = await runCli([
      'migrate',
      `${REDIS_URL}?format=json&prefix=${prefix}`,
      `sqlite:${file}`,
      '--state',
      join(dir, 'json.json'),
      '--json',
    ]);
    expect(status).toBe(0);
    expect(JSON.parse(stdout).counts).toMatchObject({ read: 40, copied: 40, estimatedTtl: 0 });
    const copied = await sqliteExpiries(file);
    for (let i = 0; i < 40; i++) {
      const pttl = await client.pttl(`${prefix}json-session-${i}`);
      const at = copied.get(`json-session-${i}`) as number;
      expect(at).toBeLessThanOrEqual(Date.now() + pttl);
      expect(at).toBeGreaterThan(Date.now() + pttl - 10_000);
    }
  });
});
