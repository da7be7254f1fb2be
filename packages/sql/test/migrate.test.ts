import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import { engineAvailable } from '@sessionkit/test-suite';
import connectPgSimple from 'connect-pg-simple';
import session from 'express-session';
import pg from 'pg';
import { afterAll, describe, it } from 'vitest';
import { migrateFromConnectPgSimple, SqlSessionStore } from '../src/index.js';
import { POSTGRES_URL } from './support/engines.js';

const pool = new pg.Pool({ connectionString: POSTGRES_URL, max: 4 });
pool.on('error', () => {});
const ok = await engineAvailable(
  'PostgreSQL',
  () => pool.query('SELECT 1'),
  'start PostgreSQL on 127.0.0.1:5432 or set DATABASE_URL',
);
// connect-pg-simple names its index IDX_session_expire whatever the table, so the test gets a schema of its own.
const schema = `sk_migrate_${randomBytes(4).toString('hex')}`;
afterAll(async () => {
  if (ok) await pool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  await pool.end();
});

describe.skipIf(!ok)('migrateFromConnectPgSimple', () => {
  it('copies live sessions written by connect-pg-simple, keeps their expiry, and can run again', async () => {
    await pool.query(`CREATE SCHEMA "${schema}"`);
    const PgStore = connectPgSimple(session);
    const old = new PgStore({ pool, schemaName: schema, createTableIfMissing: true, pruneSessionInterval: false });
    const set = promisify(old.set.bind(old)) as (sid: string, data: session.SessionData) => Promise<void>;
    const cookie = (ms: number) => ({
      originalMaxAge: ms,
      expires: new Date(Date.now() + ms).toISOString(),
      httpOnly: true,
      path: '/',
    });
    const sessions = {
      Q9uTqk1VdF6wpfkX3kBNnmhE2lS3sQbo: { cookie: cookie(60_000), user: { id: 1, name: 'Ann' }, cart: ['tea'] },
      'xG3-8Zr_Ltv0iEaWmP1uCq7yNd2KfHsJ': { cookie: cookie(120_000), flash: null },
      expiredSidAAAAAAAAAAAAAAAAAAAAAAA: { cookie: cookie(60_000), user: { id: 3 } },
      // valid under express-session's genid contract: spaces, unicode, 256 UTF-16 units; the data
      // holds U+FDD0, which the store escapes (doubles) on PostgreSQL
      'a sid with spaces ü': { cookie: cookie(60_000), note: '\ufdd0NUL \ufdd0' },
      ['🍵'.repeat(128)]: { cookie: cookie(60_000) },
      // refused: a control character, 257 UTF-16 units
      'bad\tsid': { cookie: cookie(60_000) },
      [`x${'🍵'.repeat(128)}`]: { cookie: cookie(60_000) },
    };
    const copiedSids = [
      'Q9uTqk1VdF6wpfkX3kBNnmhE2lS3sQbo',
      'xG3-8Zr_Ltv0iEaWmP1uCq7yNd2KfHsJ',
      'a sid with spaces ü',
      '🍵'.repeat(128),
    ];
    for (const [sid, data] of Object.entries(sessions)) await set(sid, data as unknown as session.SessionData);
    // one session of the old store has expired
    await pool.query(`UPDATE "${schema}".session SET expire = now() - interval '1 minute' WHERE sid = $1`, [
      'expiredSidAAAAAAAAAAAAAAAAAAAAAAA',
    ]);
    await old.close();

    const copied = await migrateFromConnectPgSimple({ client: pool, fromSchema: schema, schema, table: 'sessions' });
    assert.equal(copied, 4);

    const store = new SqlSessionStore({ client: pool, schema, table: 'sessions', pruneIntervalMs: false });
    try {
      for (const sid of copiedSids) {
        assert.deepEqual(await store.get(sid), sessions[sid as keyof typeof sessions], sid);
        const { rows } = await pool.query(`SELECT expires_at FROM "${schema}".sessions WHERE sid = $1`, [sid]);
        const expected = Date.parse(sessions[sid as keyof typeof sessions]!.cookie.expires);
        // connect-pg-simple keeps whole seconds (it rounds up)
        assert.ok(
          Math.abs(Number(rows[0].expires_at) - expected) <= 1000,
          `expires_at ${rows[0].expires_at}, cookie ${expected}`,
        );
      }
      assert.equal(await store.get('expiredSidAAAAAAAAAAAAAAAAAAAAAAA'), null);
      assert.equal(await store.length(), 4);

      // a second run copies nothing and does not overwrite a session changed since
      await store.patch(
        'Q9uTqk1VdF6wpfkX3kBNnmhE2lS3sQbo',
        { set: { cart: ['tea', 'cake'] }, unset: [] },
        { ttlMs: 60_000 },
      );
      assert.equal(await migrateFromConnectPgSimple({ client: pool, fromSchema: schema, schema }), 0);
      assert.deepEqual((await store.get('Q9uTqk1VdF6wpfkX3kBNnmhE2lS3sQbo'))?.['cart'], ['tea', 'cake']);
    } finally {
      await store.close();
    }
  });

  it('unsafe table names are refused', async () => {
    await assert.rejects(
      migrateFromConnectPgSimple({ client: pool, from: 'session; DROP TABLE x' }),
      (err: Error & { code?: string }) => err.code === 'ERR_STORE_CONFIG',
    );
  });
});
