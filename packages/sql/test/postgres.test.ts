import assert from 'node:assert/strict';
import { createStore } from '@sessionkit/core';
import { engineAvailable, eventually, rejection, sleep, sparePort } from '@sessionkit/test-suite';
import pg from 'pg';
import { describe, it } from 'vitest';
import { SqlSessionStore } from '../src/index.js';
import { conformanceThroughProxy, PATIENT_TIMEOUT_MS, POSTGRES_URL, tablesDroppedAfterAll } from './support/engines.js';

const admin = new pg.Pool({ connectionString: POSTGRES_URL, max: 4 });
admin.on('error', () => {});
const ok = await engineAvailable(
  'PostgreSQL',
  () => admin.query('SELECT 1'),
  `start PostgreSQL on 127.0.0.1:5432 (user postgres, database test) or set DATABASE_URL`,
);
const newTable = tablesDroppedAfterAll(
  ok,
  (table) => admin.query(`DROP TABLE IF EXISTS "${table}"`),
  () => admin.end(),
);

describe.skipIf(!ok)('SqlSessionStore on PostgreSQL (conformance, through a TCP proxy the outage group cuts)', () => {
  const table = newTable('conf');
  conformanceThroughProxy({
    url: POSTGRES_URL,
    defaultPort: 5432,
    table,
    pool: (connectionString, connectionTimeoutMillis) => new pg.Pool({ connectionString, connectionTimeoutMillis }),
    async storedTtlMs(sid) {
      const { rows } = await admin.query(`SELECT expires_at FROM "${table}" WHERE sid = $1 AND data IS NOT NULL`, [
        sid,
      ]);
      return rows[0] ? Number(rows[0].expires_at) - Date.now() : null;
    },
    // jsonb accepts only valid JSON, so the closest to bad bytes is JSON that is not a session object.
    async corrupt(sid) {
      await admin.query(`UPDATE "${table}" SET data = '"not a session object"'::jsonb WHERE sid = $1`, [sid]);
    },
  });
});

describe.skipIf(!ok)('PostgreSQL specifics', () => {
  it('createStore("postgres://…?table=…") owns its pool and stores rows in that table', async () => {
    const table = newTable('url');
    const url = new URL(POSTGRES_URL);
    url.searchParams.set('table', table);
    url.searchParams.set('pruneIntervalMs', '0');
    for (const scheme of ['postgres:', 'postgresql:']) {
      url.protocol = scheme;
      const store = createStore(url.href);
      assert.equal(store.name, 'sql:postgres');
      await store.set(`url-sid-${scheme.slice(0, -1)}`, { scheme }, { ttlMs: 60_000 });
      await store.close();
    }
    const { rows } = await admin.query(`SELECT sid, data FROM "${table}" ORDER BY sid`);
    assert.deepEqual(
      rows.map((row) => row.data),
      [{ scheme: 'postgres:' }, { scheme: 'postgresql:' }],
    );
  });

  it('a port nothing listens on fails fast with StoreUnavailableError and emits disconnect', async () => {
    const port = await sparePort();
    const store = createStore(`postgres://postgres@127.0.0.1:${port}/test`, { operationTimeoutMs: 500 });
    const events: string[] = [];
    store.on('disconnect', () => events.push('disconnect'));
    try {
      for (const call of [
        () => store.get('closed-port-sid'),
        () => store.set('closed-port-sid', { a: 1 }, { ttlMs: 1000 }),
      ]) {
        const started = Date.now();
        const err = await rejection(call());
        assert.equal(err.code, 'ERR_STORE_UNAVAILABLE', err.message);
        assert.ok(Date.now() - started < 2000, 'the call did not fail fast');
      }
      assert.deepEqual(events, ['disconnect']);
    } finally {
      await store.close();
    }
  });

  it('a connection killed mid-traffic (pg_terminate_backend) is replaced by the pool; traffic recovers', async () => {
    const table = newTable('kill');
    const client = new pg.Pool({ connectionString: POSTGRES_URL, max: 3, application_name: table });
    const store = new SqlSessionStore({ client, table, closeClient: true, pruneIntervalMs: false });
    const errors: unknown[] = [];
    store.on('error', (err) => errors.push(err));
    try {
      let stop = false;
      let ok = 0;
      let failed = 0;
      const traffic = Promise.all(
        Array.from({ length: 3 }, async (_, worker) => {
          for (let i = 0; !stop; i++) {
            try {
              await store.patch(`kill-sid-${worker}`, { set: { [`k${i % 5}`]: i }, unset: [] }, { ttlMs: 60_000 });
              await store.get(`kill-sid-${worker}`);
              ok++;
            } catch (err) {
              assert.equal((err as { code?: string }).code, 'ERR_STORE_UNAVAILABLE');
              failed++;
            }
          }
        }),
      );
      await eventually(async () => ok > 20, 10_000, 20);
      const { rows } = await admin.query(
        'SELECT pg_terminate_backend(pid) AS killed FROM pg_stat_activity WHERE application_name = $1',
        [table],
      );
      assert.ok(rows.length > 0, 'no connection of the pool was found to kill');
      const okAtKill = ok;
      assert.ok(await eventually(async () => ok > okAtKill + 50, 15_000, 20), 'traffic did not recover after the kill');
      stop = true;
      await traffic;
      // The kill was seen: a call in flight failed with StoreUnavailableError, or an idle pooled
      // connection reported it through the store's 'error' event.
      assert.ok(failed + errors.length > 0, 'the killed connection went unnoticed');
      assert.ok(await store.get('kill-sid-0'));
    } finally {
      await store.close();
    }
  });

  it('several instances creating the table at once all succeed', async () => {
    const table = newTable('race');
    const pools = Array.from({ length: 4 }, () => new pg.Pool({ connectionString: POSTGRES_URL, max: 1 }));
    const stores = pools.map(
      (client) => new SqlSessionStore({ client, table, closeClient: true, pruneIntervalMs: false }),
    );
    try {
      await Promise.all(stores.map((store, i) => store.set(`race-sid-${i}`, { i }, { ttlMs: 60_000 })));
      assert.equal(await stores[0]!.length(), 4);
    } finally {
      await Promise.all(stores.map((store) => store.close()));
    }
  });

  it('a table or schema option with SQL in it is refused before any SQL runs', () => {
    for (const options of [
      { table: 'sessions; DROP TABLE users' },
      { table: 'a"b' },
      { schema: 'public"; --' },
      { table: '' },
    ]) {
      assert.throws(
        () => new SqlSessionStore({ client: admin, ...options }),
        (err: Error & { code?: string }) => err.code === 'ERR_STORE_CONFIG',
        JSON.stringify(options),
      );
    }
  });

  it('a sid carrying SQL is a plain parameter: a session of its own, and the table is intact', async () => {
    const table = newTable('inject');
    const store = new SqlSessionStore({ client: admin, table, pruneIntervalMs: false });
    const sql = `x'; DROP TABLE "${table}"; --`;
    await store.set('inject-sid-ok', { a: 1 }, { ttlMs: 60_000 });
    await store.set(sql, { b: 2 }, { ttlMs: 60_000 });
    await store.patch(sql, { set: { c: 3 }, unset: [] }, { ttlMs: 60_000 });
    assert.deepEqual(await store.get(sql), { b: 2, c: 3 });
    assert.deepEqual(await store.get('inject-sid-ok'), { a: 1 });
    const { rows } = await admin.query(`SELECT sid FROM "${table}" ORDER BY sid`);
    assert.deepEqual(
      rows.map((row) => row.sid),
      ['inject-sid-ok', sql],
    );
    await store.close();
  });

  it('numbers jsonb writes out in full (1e300) count as stored: a session that would be over maxSessionBytes there is refused', async () => {
    const table = newTable('exponent');
    const store = new SqlSessionStore({
      client: admin,
      table,
      maxSessionBytes: 4096,
      pruneIntervalMs: false,
      operationTimeoutMs: PATIENT_TIMEOUT_MS,
    });
    // 2.8 KB as JSON, 120 KB as jsonb's text (each number 301 digits)
    const numbers = Array.from({ length: 400 }, () => 1e300);
    const viaSet = await rejection(store.set('exponent-set-sid', { numbers }, { ttlMs: 60_000 }));
    assert.equal(viaSet.code, 'ERR_SESSION_TOO_LARGE', viaSet.message);
    const viaPatch = await rejection(
      store.patch('exponent-patch-sid', { set: { numbers }, unset: [] }, { ttlMs: 60_000 }),
    );
    assert.equal(viaPatch.code, 'ERR_SESSION_TOO_LARGE', viaPatch.message);
    const { rows } = await admin.query(`SELECT count(*)::int AS n FROM "${table}"`);
    assert.equal(rows[0].n, 0, 'nothing was written');
    // numbers in exponent form that fit are stored as usual
    await store.set('exponent-set-sid', { small: [1e-7, 1e21, -2.5e-300] }, { ttlMs: 60_000 });
    assert.deepEqual(await store.get('exponent-set-sid'), { small: [1e-7, 1e21, -2.5e-300] });
    await store.close();
  });

  it('prune() deletes expired sessions and old tombstones in batches, and returns the count', async () => {
    const table = newTable('prune');
    const store = new SqlSessionStore({
      client: admin,
      table,
      pruneIntervalMs: false,
      pruneBatchSize: 7,
      tombstoneTtlMs: 200,
    });
    await Promise.all(Array.from({ length: 20 }, (_, i) => store.set(`prune-short-${i}`, { i }, { ttlMs: 200 })));
    await store.set('prune-long-sid', { keep: true }, { ttlMs: 60_000 });
    await store.set('prune-gone-sid', { bye: true }, { ttlMs: 60_000 });
    await store.destroy('prune-gone-sid');
    await sleep(400);
    assert.equal(await store.prune(), 21);
    const { rows } = await admin.query(`SELECT sid FROM "${table}"`);
    assert.deepEqual(rows, [{ sid: 'prune-long-sid' }]);
    assert.equal(await store.prune(), 0);
    await store.close();
  });

  it('the prune interval runs by itself', async () => {
    const table = newTable('interval');
    const store = new SqlSessionStore({ client: admin, table, pruneIntervalMs: 200 });
    await store.set('interval-sid-1', { a: 1 }, { ttlMs: 100 });
    const rows = async () => (await admin.query(`SELECT count(*)::int AS n FROM "${table}"`)).rows[0].n as number;
    assert.equal(await rows(), 1);
    assert.ok(await eventually(async () => (await rows()) === 0, 5000), 'the expired row was not pruned');
    await store.close();
  });
});
