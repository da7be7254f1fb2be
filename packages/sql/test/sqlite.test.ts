import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createStore, type SessionStore } from '@sessionkit/core';
import { rejection, runConformanceSuite } from '@sessionkit/test-suite';
import Database from 'better-sqlite3';
import { afterAll, describe, it } from 'vitest';
import { SqlSessionStore } from '../src/index.js';
import { tableName } from './support/engines.js';

const dir = mkdtempSync(join(tmpdir(), 'sessionkit-sql-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Reads a store's table through its own connection, as another process would. */
function sqliteProbe(db: Database.Database, table: string, store: () => SqlSessionStore | undefined) {
  return {
    async storedTtlMs(sid: string) {
      const row = db.prepare(`SELECT expires_at FROM "${table}" WHERE sid = ? AND data IS NOT NULL`).get(sid) as
        | { expires_at: number }
        | undefined;
      return row ? row.expires_at - Date.now() : null;
    },
    // SQLite keeps JSON as TEXT, so the probe can write bytes that are not JSON at all.
    async corrupt(sid: string) {
      db.prepare(`UPDATE "${table}" SET data = ? WHERE sid = ?`).run('{"cart": [not json', sid);
    },
    async reclaim() {
      await store()?.prune();
    },
  };
}

describe('SqlSessionStore on a SQLite file (createStore("sqlite:…"))', () => {
  const file = join(dir, 'conformance.db');
  const table = tableName('file');
  const raw = new Database(file);
  afterAll(() => raw.close());
  let current: SqlSessionStore | undefined;
  runConformanceSuite({
    it,
    createStore: (options) =>
      (current = createStore(`sqlite:${file}?table=${table}&pruneIntervalMs=0`, { ...options }) as SqlSessionStore),
    probe: sqliteProbe(raw, table, () => current),
    skip: { outage: 'SQLite is embedded: there is no server to stop' },
  });
});

describe('SqlSessionStore on SQLite :memory: (a Database handed in)', () => {
  const db = new Database(':memory:');
  const table = tableName('memory');
  afterAll(() => db.close());
  let current: SqlSessionStore | undefined;
  runConformanceSuite({
    it,
    createStore: (options) =>
      (current = new SqlSessionStore({ ...options, client: db, table, pruneIntervalMs: false })),
    probe: sqliteProbe(db, table, () => current),
    skip: { outage: 'SQLite is embedded: there is no server to stop' },
  });
});

describe('SQLite specifics', () => {
  it('createStore("sqlite:./relative.db") opens the file relative to the working directory, in WAL mode', async () => {
    const cwd = process.cwd();
    process.chdir(dir);
    let store: SessionStore | undefined;
    try {
      store = createStore('sqlite:./relative.db?table=rel');
      assert.equal(store.name, 'sql:sqlite');
      await store.set('relative-sid-1', { a: 1 }, { ttlMs: 60_000 });
    } finally {
      process.chdir(cwd);
      await store?.close();
    }
    const db = new Database(join(dir, 'relative.db'));
    try {
      assert.equal(db.pragma('journal_mode', { simple: true }), 'wal');
      const row = db.prepare('SELECT data FROM rel WHERE sid = ?').get('relative-sid-1') as { data: string };
      assert.deepEqual(JSON.parse(row.data), { a: 1 });
    } finally {
      db.close();
    }
  });

  it('createStore("sqlite::memory:") works and close() releases the database it opened', async () => {
    const store = createStore('sqlite::memory:');
    await store.patch('memory-sid-1', { set: { n: null, deep: { x: null } }, unset: [] }, { ttlMs: 60_000 });
    assert.deepEqual(await store.get('memory-sid-1'), { n: null, deep: { x: null } });
    await store.close();
    const err = await rejection(store.get('memory-sid-1'));
    assert.equal(err.code, 'ERR_STORE_UNAVAILABLE');
  });

  it('unknown or malformed URL parameters are refused with StoreConfigError', () => {
    for (const url of [
      'sqlite::memory:?tabel=x',
      'sqlite::memory:?table=x;DROP TABLE y',
      'sqlite::memory:?pruneIntervalMs=soon',
      'sqlite::memory:?createTable=maybe',
      'sqlite:',
    ]) {
      assert.throws(
        () => createStore(url),
        (err: Error & { code?: string }) => err.code === 'ERR_STORE_CONFIG',
        url,
      );
    }
  });

  it('a Database handed in is not closed by close()', async () => {
    const db = new Database(':memory:');
    const store = new SqlSessionStore({ client: db });
    await store.set('handed-in-sid', { a: 1 }, { ttlMs: 60_000 });
    await store.close();
    assert.equal(db.open, true);
    db.close();
  });
});
