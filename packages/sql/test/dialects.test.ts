import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { engineAvailable, rejection } from '@sessionkit/test-suite';
import Database from 'better-sqlite3';
import mysql from 'mysql2/promise';
import pg from 'pg';
import { describe, it } from 'vitest';
import { SqlSessionStore, type SqlClient, type SqlDialectName } from '../src/index.js';
import { corruptMysqlRow, MYSQL_URL, POSTGRES_URL, tablesDroppedAfterAll } from './engines.js';

// The same checks on every engine: the documented SQL files, and patch semantics where the
// engines' JSON functions differ most (nulls, nested objects, keys that look like JSON paths).
interface Engine {
  dialect: SqlDialectName;
  client: SqlClient;
  exec(sql: string): Promise<unknown>;
  /** Writes data that does not decode to a session into a row, as far as the engine's column type allows. */
  corrupt(table: string, sid: string): Promise<unknown>;
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
    end: async () => void sqlite.close(),
  },
];
if (await engineAvailable('PostgreSQL', () => pgPool.query('SELECT 1'), 'start PostgreSQL on 127.0.0.1:5432 or set DATABASE_URL')) {
  engines.push({
    dialect: 'postgres',
    client: pgPool,
    exec: (sql) => pgPool.query(sql),
    corrupt: (table, sid) => pgPool.query(`UPDATE ${table} SET data = '[1, 2]'::jsonb WHERE sid = $1`, [sid]),
    end: () => pgPool.end(),
  });
} else await pgPool.end();
if (await engineAvailable('MariaDB/MySQL', () => mysqlPool.query('SELECT 1'), 'start MariaDB on 127.0.0.1:3306 or set MYSQL_URL')) {
  engines.push({
    dialect: 'mysql',
    client: mysqlPool,
    exec: (sql) => mysqlPool.query(sql),
    corrupt: (table, sid) => corruptMysqlRow(mysqlPool, table, sid),
    end: () => mysqlPool.end(),
  });
} else await mysqlPool.end();

for (const engine of engines) {
  describe(`${engine.dialect}`, () => {
    const newTable = tablesDroppedAfterAll(true, (table) => engine.exec(`DROP TABLE IF EXISTS ${table}`), () => engine.end());

    it(`sql/${engine.dialect}.sql creates a table the store uses with createTable: false`, async () => {
      const table = newTable('file');
      const ddl = readFileSync(new URL(`../sql/${engine.dialect}.sql`, import.meta.url), 'utf8').replace(/\bsessions\b/g, table);
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
      const calls = [store.get('missing-table-sid'), store.patch('missing-table-sid', { set: { a: 1 }, unset: [] }, { ttlMs: 60_000 })];
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
      await store.set(sid, { 'a.b': 1, 'q"uote': 2, '$': 3, user: { name: 'x', roles: ['a'] }, gone: true }, { ttlMs: 60_000 });
      await store.patch(
        sid,
        { set: { user: { id: 7, nick: null }, 'q"uote': null, 'back\\slash': 'ü€', '[0]': [null] }, unset: ['gone', 'a.b'] },
        { ttlMs: 60_000 },
      );
      assert.deepEqual(await store.get(sid), {
        '$': 3,
        'q"uote': null,
        user: { id: 7, nick: null },
        'back\\slash': 'ü€',
        '[0]': [null],
      });
      await store.close();
    });
  });
}
