import assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import { describe, it } from 'vitest';
import { loadDriver } from '../src/drivers.js';
import { createStore } from '@sessionkit/core';
import { SqlSessionStore, type SqlClient, type SqlDialectName } from '../src/index.js';

const isConfigError = (err: Error & { code?: string }) =>
  err.code === 'ERR_STORE_CONFIG' && err.name === 'StoreConfigError';

describe('SqlSessionStore options', () => {
  const db = new Database(':memory:');

  it('refuses a missing or unrecognised client and an unknown dialect', () => {
    assert.throws(() => new SqlSessionStore({} as { client: SqlClient }), isConfigError);
    assert.throws(() => new SqlSessionStore({ client: { hello: 'world' } as unknown as SqlClient }), isConfigError);
    assert.throws(() => new SqlSessionStore({ client: db, dialect: 'oracle' as SqlDialectName }), isConfigError);
  });

  it('refuses table and schema names that are not plain identifiers', () => {
    for (const name of [
      'sessions; DROP TABLE users',
      'a"b',
      'a`b',
      'a b',
      '1abc',
      '',
      'x'.repeat(49),
      'sessions--',
      'ümlaut',
    ]) {
      assert.throws(() => new SqlSessionStore({ client: db, table: name }), isConfigError, `table ${name}`);
      assert.throws(() => new SqlSessionStore({ client: db, schema: name }), isConfigError, `schema ${name}`);
    }
    assert.doesNotThrow(() =>
      new SqlSessionStore({ client: db, table: '_Sessions_2', schema: 'main', pruneIntervalMs: false }).close(),
    );
  });

  it('refuses bad numbers for pruning', () => {
    for (const options of [
      { pruneIntervalMs: -1 },
      { pruneIntervalMs: 1.5 },
      { pruneBatchSize: 0 },
      { pruneBatchSize: Number.NaN },
    ]) {
      assert.throws(() => new SqlSessionStore({ client: db, ...options }), isConfigError, JSON.stringify(options));
    }
  });

  it('recognises the engine from the client', () => {
    const store = new SqlSessionStore({ client: db, pruneIntervalMs: false });
    assert.equal(store.dialect, 'sqlite');
    assert.equal(store.name, 'sql:sqlite');
  });

  it('a missing driver package gives StoreConfigError saying what to install', () => {
    assert.throws(
      () => loadDriver('sessionkit-driver-that-is-not-installed', 'sessionkit-driver-that-is-not-installed', 'test://'),
      (err: Error & { code?: string }) =>
        isConfigError(err) && /npm install sessionkit-driver-that-is-not-installed/.test(err.message),
    );
  });

  it('store URL parameters: a typo on sqlite: is refused naming the closest, a driver parameter on postgres:// passes to pg (importing the package registers the schemes)', async () => {
    assert.throws(
      () => createStore('sqlite::memory:?tabel=sessions'),
      (err: Error & { code?: string }) =>
        isConfigError(err) && /unknown parameter "tabel" \(did you mean "table"\?\)/.test(err.message),
    );
    assert.throws(() => createStore('sqlite::memory:?pruneBatchSize=many'), isConfigError);
    assert.throws(() => createStore('sqlite::memory:?createTable=maybe'), isConfigError);
    const store = createStore(
      'postgres://postgres@127.0.0.1:5432/test?sslmode=disable&table=url_params&pruneIntervalMs=0',
    );
    assert.equal(store.name, 'sql:postgres');
    await store.close();
  });
});
