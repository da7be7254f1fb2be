import assert from 'node:assert/strict';
import { createStore } from '@sessionkit/core';
import { engineAvailable, rejection } from '@sessionkit/test-suite';
import mysql from 'mysql2/promise';
import mysqlCallback from 'mysql2';
import { describe, it } from 'vitest';
import { SqlSessionStore } from '../src/index.js';
import {
  conformanceThroughProxy,
  corruptMysqlRow,
  MYSQL_URL,
  PATIENT_TIMEOUT_MS,
  tablesDroppedAfterAll,
} from './support/engines.js';

const admin = mysql.createPool({ uri: MYSQL_URL, connectionLimit: 4 });
const ok = await engineAvailable(
  'MariaDB/MySQL',
  () => admin.query('SELECT 1'),
  'start MariaDB or MySQL on 127.0.0.1:3306 (user root, database test) or set MYSQL_URL',
);
const TTL = { ttlMs: 60_000 };
const newTable = tablesDroppedAfterAll(
  ok,
  (table) => admin.query(`DROP TABLE IF EXISTS \`${table}\``),
  () => admin.end(),
);

describe.skipIf(!ok)(
  'SqlSessionStore on MariaDB/MySQL (conformance, through a TCP proxy the outage group cuts)',
  () => {
    const table = newTable('conf');
    conformanceThroughProxy({
      url: MYSQL_URL,
      defaultPort: 3306,
      table,
      pool: (uri, connectTimeout) => mysql.createPool({ uri, connectTimeout }),
      async storedTtlMs(sid) {
        const [rows] = await admin.execute<mysql.RowDataPacket[]>(
          `SELECT expires_at FROM \`${table}\` WHERE sid = ? AND data IS NOT NULL`,
          [sid],
        );
        return rows[0] ? Number(rows[0]['expires_at']) - Date.now() : null;
      },
      // See corruptMysqlRow: bytes that are not JSON on MariaDB, a JSON array on MySQL.
      corrupt: (sid) => corruptMysqlRow(admin, table, sid),
    });
  },
);

describe.skipIf(!ok)('MariaDB/MySQL specifics', () => {
  it('createStore("mysql://…") and "mariadb://…" own their pool and store rows in the table', async () => {
    const table = newTable('url');
    const url = new URL(MYSQL_URL);
    url.searchParams.set('table', table);
    url.searchParams.set('pruneIntervalMs', '0');
    for (const scheme of ['mysql:', 'mariadb:']) {
      const href = url.href.replace(/^[a-z]+:/, scheme);
      const store = createStore(href);
      assert.equal(store.name, 'sql:mysql');
      await store.set(`url-sid-${scheme.slice(0, -1)}`, { scheme }, { ttlMs: 60_000 });
      await store.close();
    }
    const [rows] = await admin.query<mysql.RowDataPacket[]>(
      `SELECT CAST(data AS CHAR) AS data FROM \`${table}\` ORDER BY sid`,
    );
    assert.deepEqual(
      rows.map((row) => JSON.parse(row['data'])),
      [{ scheme: 'mariadb:' }, { scheme: 'mysql:' }],
    );
  });

  it('a callback-API pool works too, and sids are case-sensitive', async () => {
    const table = newTable('callback');
    const client = mysqlCallback.createPool({ uri: MYSQL_URL });
    const store = new SqlSessionStore({ client, table, closeClient: true, pruneIntervalMs: false });
    try {
      await store.set('Case-Sensitive-Sid', { upper: true }, { ttlMs: 60_000 });
      await store.set('case-sensitive-sid', { upper: false }, { ttlMs: 60_000 });
      assert.deepEqual(await store.get('Case-Sensitive-Sid'), { upper: true });
      assert.deepEqual(await store.get('case-sensitive-sid'), { upper: false });
    } finally {
      await store.close();
    }
  });

  it('a table option with SQL in it is refused', () => {
    assert.throws(
      () => new SqlSessionStore({ client: admin, table: 'sessions` (x int); DROP TABLE users; --' }),
      (err: Error & { code?: string }) => err.code === 'ERR_STORE_CONFIG',
    );
  });

  it('600 patches of 600 different key counts prepare a fixed handful of statements server-side', async () => {
    const table = newTable('prepared');
    // One connection, so its own status counters show what this store prepared.
    const client = mysql.createPool({ uri: MYSQL_URL, connectionLimit: 1 });
    const store = new SqlSessionStore({
      client,
      table,
      closeClient: true,
      pruneIntervalMs: false,
      operationTimeoutMs: PATIENT_TIMEOUT_MS,
    });
    const status = async (pool: mysql.Pool, scope: 'GLOBAL' | 'SESSION', name: string) =>
      Number((await pool.query<mysql.RowDataPacket[]>(`SHOW ${scope} STATUS LIKE '${name}'`))[0][0]?.['Value']);
    const open = async () =>
      (await status(client, 'SESSION', 'Com_stmt_prepare')) - (await status(client, 'SESSION', 'Com_stmt_close'));
    try {
      await store.set('prepared-sid', { warm: true }, TTL);
      const before = { open: await open(), global: await status(admin, 'GLOBAL', 'Prepared_stmt_count') };
      for (let i = 0; i < 600; i++) {
        // set 1..60 keys and unset 0..9: 600 different key counts
        const set = Object.fromEntries(Array.from({ length: 1 + (i % 60) }, (_, k) => [`s${k}`, i]));
        const unset = Array.from({ length: Math.floor(i / 60) }, (_, k) => `u${k}`);
        await store.patch(`prepared-sid-${i % 5}`, { set, unset }, TTL);
      }
      const after = { open: await open(), global: await status(admin, 'GLOBAL', 'Prepared_stmt_count') };
      // patch's three statements: read the row, insert a new one, write if unchanged
      assert.ok(
        after.open - before.open <= 3,
        `this connection holds ${after.open - before.open} more prepared statements`,
      );
      // The counter is server-wide, shared with anything else running: only a leak of one
      // statement per key count (600) would fail this.
      assert.ok(
        after.global - before.global < 300,
        `Prepared_stmt_count went from ${before.global} to ${after.global}`,
      );
      // the last patch of this sid (i = 599) set s0..s59
      assert.deepEqual(
        await store.get('prepared-sid-4'),
        Object.fromEntries(Array.from({ length: 60 }, (_, k) => [`s${k}`, 599])),
      );
    } finally {
      await store.close();
    }
  }, 300_000);

  it('an unreachable server fails fast with StoreUnavailableError', async () => {
    const store = createStore('mysql://root@127.0.0.1:1/test', { operationTimeoutMs: 500 });
    try {
      const started = Date.now();
      const err = await rejection(store.get('unreachable-sid'));
      assert.equal(err.code, 'ERR_STORE_UNAVAILABLE', err.message);
      assert.ok(Date.now() - started < 2000);
    } finally {
      await store.close();
    }
  });
});
