import assert from 'node:assert/strict';
import { createStore } from '@sessionkit/core';
import { engineAvailable, rejection } from '@sessionkit/test-suite';
import mysql from 'mysql2/promise';
import mysqlCallback from 'mysql2';
import { describe, it } from 'vitest';
import { SqlSessionStore } from '../src/index.js';
import { conformanceThroughProxy, corruptMysqlRow, MYSQL_URL, tablesDroppedAfterAll } from './engines.js';

const admin = mysql.createPool({ uri: MYSQL_URL, connectionLimit: 4 });
const ok = await engineAvailable(
  'MariaDB/MySQL',
  () => admin.query('SELECT 1'),
  'start MariaDB or MySQL on 127.0.0.1:3306 (user root, database test) or set MYSQL_URL',
);
const newTable = tablesDroppedAfterAll(ok, (table) => admin.query(`DROP TABLE IF EXISTS \`${table}\``), () => admin.end());

describe.skipIf(!ok)('SqlSessionStore on MariaDB/MySQL (conformance, through a TCP proxy the outage group cuts)', () => {
  const table = newTable('conf');
  conformanceThroughProxy({
    url: MYSQL_URL,
    defaultPort: 3306,
    table,
    pool: (uri, connectTimeout) => mysql.createPool({ uri, connectTimeout }),
    async storedTtlMs(sid) {
      const [rows] = await admin.execute<mysql.RowDataPacket[]>(`SELECT expires_at FROM \`${table}\` WHERE sid = ? AND data IS NOT NULL`, [sid]);
      return rows[0] ? Number(rows[0]['expires_at']) - Date.now() : null;
    },
    // See corruptMysqlRow: bytes that are not JSON on MariaDB, a JSON array on MySQL.
    corrupt: (sid) => corruptMysqlRow(admin, table, sid),
  });
});

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
    const [rows] = await admin.query<mysql.RowDataPacket[]>(`SELECT CAST(data AS CHAR) AS data FROM \`${table}\` ORDER BY sid`);
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
