import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { engineAvailable, rejection } from '@sessionkit/test-suite';
import Database from 'better-sqlite3';
import mysql from 'mysql2/promise';
import pg from 'pg';
import { describe, it } from 'vitest';
import { SqlSessionStore, type SqlClient, type SqlDialectName } from '../src/index.js';
import {
  corruptMysqlRow,
  MYSQL_URL,
  PATIENT_TIMEOUT_MS,
  POSTGRES_URL,
  tablesDroppedAfterAll,
} from './support/engines.js';

const TTL = { ttlMs: 60_000 };

// The same checks on every engine: the documented SQL files, patch semantics where the engines'
// JSON functions differ most (nulls, nested objects, keys that look like JSON paths, NUL), the
// size of the merged session, and errors the database raises for one session's data.
interface Engine {
  dialect: SqlDialectName;
  client: SqlClient;
  exec(sql: string): Promise<unknown>;
  /** Writes data that does not decode to a session into a row, as far as the engine's column type allows. */
  corrupt(table: string, sid: string): Promise<unknown>;
  /** UTF-8 bytes of the row's `data` as the engine returns it as text, or null. */
  storedBytes(table: string, sid: string): Promise<number | null>;
  /** DDL for the store's table with a CHECK of the user's own on `data` (under 2000 bytes). */
  checkedTable(table: string): string;
  /** The table as an earlier release created it (a narrower sid column), and sids it cannot hold. */
  olderTable?: { ddl(table: string): string; refuses: string[] };
  end(): Promise<void>;
}

const pgPool = new pg.Pool({ connectionString: POSTGRES_URL, max: 2 });
pgPool.on('error', () => {});
const mysqlPool = mysql.createPool({ uri: MYSQL_URL, connectionLimit: 2, multipleStatements: true });
const sqlite = new Database(':memory:');

const engines: Engine[] = [
  {
    dialect: 'sqlite',
    client: sqlite,
    exec: async (sql) => sqlite.exec(sql),
    corrupt: async (table, sid) => sqlite.prepare(`UPDATE ${table} SET data = '{not json' WHERE sid = ?`).run(sid),
    storedBytes: async (table, sid) =>
      (
        sqlite.prepare(`SELECT length(CAST(data AS BLOB)) AS n FROM ${table} WHERE sid = ?`).get(sid) as
          | { n: number | null }
          | undefined
      )?.n ?? null,
    checkedTable: (table) =>
      `CREATE TABLE ${table} (sid TEXT PRIMARY KEY NOT NULL, data TEXT CHECK (length(data) < 2000), expires_at INTEGER NOT NULL)`,
    end: async () => void sqlite.close(),
  },
];
if (
  await engineAvailable(
    'PostgreSQL',
    () => pgPool.query('SELECT 1'),
    'start PostgreSQL on 127.0.0.1:5432 or set DATABASE_URL',
  )
) {
  engines.push({
    dialect: 'postgres',
    client: pgPool,
    exec: (sql) => pgPool.query(sql),
    corrupt: (table, sid) => pgPool.query(`UPDATE ${table} SET data = '[1, 2]'::jsonb WHERE sid = $1`, [sid]),
    storedBytes: async (table, sid) =>
      (await pgPool.query(`SELECT octet_length(data::text) AS n FROM ${table} WHERE sid = $1`, [sid])).rows[0]?.n ??
      null,
    checkedTable: (table) =>
      `CREATE TABLE ${table} (sid varchar(256) COLLATE "C" PRIMARY KEY, data jsonb CHECK (octet_length(data::text) < 2000), expires_at bigint NOT NULL)`,
    olderTable: {
      ddl: (table) =>
        `CREATE TABLE ${table} (sid varchar(160) COLLATE "C" PRIMARY KEY, data jsonb, expires_at bigint NOT NULL)`,
      refuses: ['x'.repeat(200)],
    },
    end: () => pgPool.end(),
  });
} else await pgPool.end();
if (
  await engineAvailable(
    'MariaDB/MySQL',
    () => mysqlPool.query('SELECT 1'),
    'start MariaDB on 127.0.0.1:3306 or set MYSQL_URL',
  )
) {
  engines.push({
    dialect: 'mysql',
    client: mysqlPool,
    exec: (sql) => mysqlPool.query(sql),
    corrupt: (table, sid) => corruptMysqlRow(mysqlPool, table, sid),
    storedBytes: async (table, sid) => {
      const [rows] = await mysqlPool.query<mysql.RowDataPacket[]>(
        `SELECT OCTET_LENGTH(CAST(data AS CHAR)) AS n FROM ${table} WHERE sid = ?`,
        [sid],
      );
      return rows[0]?.['n'] ?? null;
    },
    checkedTable: (table) =>
      `CREATE TABLE ${table} (sid VARBINARY(768) NOT NULL PRIMARY KEY, data JSON NULL CHECK (OCTET_LENGTH(data) < 2000), expires_at BIGINT NOT NULL)`,
    olderTable: {
      ddl: (table) =>
        `CREATE TABLE ${table} (sid VARCHAR(160) CHARACTER SET ascii COLLATE ascii_bin NOT NULL PRIMARY KEY, data JSON NULL, expires_at BIGINT NOT NULL)`,
      refuses: ['x'.repeat(200), 'ünïcode sid'],
    },
    end: () => mysqlPool.end(),
  });
} else await mysqlPool.end();

for (const engine of engines) {
  describe(`${engine.dialect}`, () => {
    const newTable = tablesDroppedAfterAll(
      true,
      (table) => engine.exec(`DROP TABLE IF EXISTS ${table}`),
      () => engine.end(),
    );

    it(`sql/${engine.dialect}.sql creates a table the store uses with createTable: false`, async () => {
      const table = newTable('file');
      const ddl = readFileSync(new URL(`../sql/${engine.dialect}.sql`, import.meta.url), 'utf8').replace(
        /\bsessions\b/g,
        table,
      );
      await engine.exec(ddl);
      await engine.exec(ddl); // idempotent
      const store = new SqlSessionStore({ client: engine.client, table, createTable: false, pruneIntervalMs: false });
      await store.set('schema-file-sid', { a: 1 }, { ttlMs: 60_000 });
      await store.patch('schema-file-sid', { set: { b: 2 }, unset: [] }, { ttlMs: 60_000 });
      assert.deepEqual(await store.get('schema-file-sid'), { a: 1, b: 2 });
      await store.destroy('schema-file-sid');
      assert.equal(await store.length(), 0);
      await store.close();
    });

    it('with createTable: false and no table, calls fail with StoreOperationError naming the table, and no disconnect', async () => {
      const table = newTable('missing');
      const store = new SqlSessionStore({ client: engine.client, table, createTable: false, pruneIntervalMs: false });
      const events: string[] = [];
      store.on('disconnect', () => events.push('disconnect'));
      const calls = [
        store.get('missing-table-sid'),
        store.patch('missing-table-sid', { set: { a: 1 }, unset: [] }, { ttlMs: 60_000 }),
      ];
      for (const call of calls) {
        const err = await rejection(call);
        assert.equal(err.code, 'ERR_STORE_OPERATION', err.message);
        assert.match(err.message, new RegExp(table));
      }
      assert.deepEqual(events, [], 'a missing table is not an outage');
      await store.close();
    });

    it('a damaged row gives SessionDecodeError; a patch of it starts from {}', async () => {
      const table = newTable('damaged');
      const store = new SqlSessionStore({ client: engine.client, table, pruneIntervalMs: false });
      await store.set('damaged-row-sid', { a: 1 }, { ttlMs: 60_000 });
      await engine.corrupt(table, 'damaged-row-sid');
      assert.equal((await rejection(store.get('damaged-row-sid'))).code, 'ERR_SESSION_DECODE');
      await store.patch('damaged-row-sid', { set: { b: 2 }, unset: ['a'] }, { ttlMs: 60_000 });
      assert.deepEqual(await store.get('damaged-row-sid'), { b: 2 });
      await store.close();
    });

    it('patch keeps nulls, replaces nested objects whole and handles keys that look like JSON paths', async () => {
      const store = new SqlSessionStore({ client: engine.client, table: newTable('keys'), pruneIntervalMs: false });
      const sid = 'odd-keys-sid-1';
      await store.set(
        sid,
        { 'a.b': 1, 'q"uote': 2, $: 3, user: { name: 'x', roles: ['a'] }, gone: true },
        { ttlMs: 60_000 },
      );
      await store.patch(
        sid,
        {
          set: { user: { id: 7, nick: null }, 'q"uote': null, 'back\\slash': 'ü€', '[0]': [null] },
          unset: ['gone', 'a.b'],
        },
        { ttlMs: 60_000 },
      );
      assert.deepEqual(await store.get(sid), {
        $: 3,
        'q"uote': null,
        user: { id: 7, nick: null },
        'back\\slash': 'ü€',
        '[0]': [null],
      });
      await store.close();
    });

    it('keys and values with U+0000, U+FDD0 and look-alike texts round-trip through set, patch and unset', async () => {
      const store = new SqlSessionStore({
        client: engine.client,
        table: newTable('nul'),
        pruneIntervalMs: false,
        operationTimeoutMs: PATIENT_TIMEOUT_MS,
      });
      const sid = 'nul-keys-sid';
      const odd = {
        'k\u0000': 'v\u0000',
        '\ufdd0': '\ufdd0\ufdd0',
        '\ufdd0NUL': '\ufdd0NUL\u0000',
        NUL: '\\u0000',
        '\\u0000': ['\u0000\ufdd0', { '\u0000': '\ufdd0' }],
      };
      await store.set(sid, { keep: 1, ...odd }, TTL);
      assert.deepEqual(await store.get(sid), { keep: 1, ...odd });
      await store.patch(sid, { set: { '\ufdd0\u0000': 2, NUL: null }, unset: ['k\u0000', '\ufdd0NUL'] }, TTL);
      const { 'k\u0000': _k, '\ufdd0NUL': _n, ...kept } = odd;
      assert.deepEqual(await store.get(sid), { keep: 1, ...kept, NUL: null, '\ufdd0\u0000': 2 });
      await store.close();
    });

    it('maxSessionBytes bounds the merged session: of three 700 KiB patches only the first is stored', async () => {
      const table = newTable('total');
      const maxSessionBytes = 1024 * 1024;
      const store = new SqlSessionStore({
        client: engine.client,
        table,
        maxSessionBytes,
        pruneIntervalMs: false,
        operationTimeoutMs: PATIENT_TIMEOUT_MS,
      });
      const sid = 'total-size-sid';
      const chunk = (char: string) => char.repeat(700 * 1024);
      await store.patch(sid, { set: { a: chunk('a') }, unset: [] }, TTL);
      for (const key of ['b', 'c']) {
        const err = await rejection(store.patch(sid, { set: { [key]: chunk(key) }, unset: [] }, TTL));
        assert.equal(err.code, 'ERR_SESSION_TOO_LARGE', err.message);
      }
      assert.deepEqual(await store.get(sid), { a: chunk('a') });
      assert.ok((await engine.storedBytes(table, sid))! <= maxSessionBytes);
      // replacing a large value, or removing one to make room, is not growth
      await store.patch(sid, { set: { a: chunk('z') }, unset: [] }, TTL);
      await store.patch(sid, { set: { b: chunk('b') }, unset: ['a'] }, TTL);
      assert.deepEqual(await store.get(sid), { b: chunk('b') });
      await store.close();
    }, 60_000);

    it('the limit is exact as JSON.stringify counts it, whatever text the engine writes (spaces, escapes)', async () => {
      const maxSessionBytes = 4096;
      const store = new SqlSessionStore({
        client: engine.client,
        table: newTable('exact'),
        maxSessionBytes,
        pruneIntervalMs: false,
        operationTimeoutMs: PATIENT_TIMEOUT_MS,
      });
      const sid = 'exact-size-sid';
      // Many separators (PostgreSQL writes a space after each), NULs and U+FDD0 (escaped on PostgreSQL).
      const fixed = {
        list: Array.from({ length: 400 }, () => 0),
        nul: '\u0000'.repeat(20),
        esc: '\ufdd0'.repeat(50),
        nested: { k: [1, { m: null }] },
      };
      const pad = 'p'.repeat(maxSessionBytes - Buffer.byteLength(JSON.stringify({ ...fixed, pad: '' })));
      await store.patch(sid, { set: fixed, unset: [] }, TTL);
      await store.patch(sid, { set: { pad }, unset: [] }, TTL);
      assert.equal(Buffer.byteLength(JSON.stringify(await store.get(sid))), maxSessionBytes);
      const err = await rejection(store.patch(sid, { set: { pad: `${pad}p` }, unset: [] }, TTL));
      assert.equal(err.code, 'ERR_SESSION_TOO_LARGE', err.message);
      assert.equal((err as unknown as { bytes: number }).bytes, maxSessionBytes + 1);
      assert.equal((await store.get(sid))?.['pad'], pad);
      await store.close();
    });

    it('concurrent patches that together exceed maxSessionBytes: each gets its own answer, and the stored session stays within it', async () => {
      const store = new SqlSessionStore({
        client: engine.client,
        table: newTable('together'),
        maxSessionBytes: 4096,
        pruneIntervalMs: false,
        operationTimeoutMs: PATIENT_TIMEOUT_MS,
      });
      const sid = 'together-sid';
      await store.set(sid, { base: true }, TTL);
      const chunk = 'x'.repeat(1500);
      const outcomes = await Promise.allSettled(
        ['a', 'b', 'c', 'd'].map((key) => store.patch(sid, { set: { [key]: chunk }, unset: [] }, TTL)),
      );
      const refused = outcomes.filter((outcome) => outcome.status === 'rejected');
      assert.equal(refused.length, 2, JSON.stringify(outcomes.map((outcome) => outcome.status)));
      for (const outcome of refused)
        assert.equal((outcome as PromiseRejectedResult).reason.code, 'ERR_SESSION_TOO_LARGE');
      const data = (await store.get(sid))!;
      assert.equal(Object.keys(data).length, 3);
      assert.ok(Buffer.byteLength(JSON.stringify(data)) <= 4096);
      await store.close();
    });

    it('data the database refuses (a CHECK of your own) fails that call with SessionEncodeError: no disconnect, nothing else changes', async () => {
      const table = newTable('check');
      await engine.exec(engine.checkedTable(table));
      const store = new SqlSessionStore({
        client: engine.client,
        table,
        createTable: false,
        pruneIntervalMs: false,
        operationTimeoutMs: PATIENT_TIMEOUT_MS,
      });
      const events: string[] = [];
      store.on('disconnect', () => events.push('disconnect'));
      await store.set('check-ok-sid', { a: 1 }, TTL);
      const big = { blob: 'x'.repeat(3000) };
      for (const call of [
        () => store.set('check-big-sid', big, TTL),
        () => store.patch('check-ok-sid', { set: big, unset: [] }, TTL),
      ]) {
        const err = await rejection(call());
        assert.equal(err.code, 'ERR_SESSION_ENCODE', err.message);
      }
      assert.deepEqual(await store.get('check-ok-sid'), { a: 1 });
      assert.equal(await store.get('check-big-sid'), null);
      await store.patch('check-ok-sid', { set: { b: 2 }, unset: [] }, TTL);
      assert.deepEqual(await store.get('check-ok-sid'), { a: 1, b: 2 });
      assert.deepEqual(events, [], 'refused data is not an outage');
      await store.close();
    });

    const olderTable = engine.olderTable;
    if (olderTable) {
      it("a table of the earlier schema (sid VARCHAR(160)) refuses a longer or non-ASCII sid as that call's data error", async () => {
        const table = newTable('older');
        await engine.exec(olderTable.ddl(table));
        const store = new SqlSessionStore({
          client: engine.client,
          table,
          createTable: false,
          pruneIntervalMs: false,
          operationTimeoutMs: PATIENT_TIMEOUT_MS,
        });
        const events: string[] = [];
        store.on('disconnect', () => events.push('disconnect'));
        await store.set('older-ok-sid', { a: 1 }, TTL);
        for (const sid of olderTable.refuses) {
          const err = await rejection(store.set(sid, { a: 1 }, TTL));
          assert.equal(err.code, 'ERR_SESSION_ENCODE', err.message);
        }
        assert.deepEqual(await store.get('older-ok-sid'), { a: 1 });
        assert.deepEqual(events, []);
        await store.close();
      });
    }
  });
}
