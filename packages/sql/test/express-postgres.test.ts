import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import type { SessionStore } from '@sessionkit/core';
import { ExpressSessionStore } from '@sessionkit/express';
import { engineAvailable, eventually } from '@sessionkit/test-suite';
import express from 'express';
import session from 'express-session';
import pg from 'pg';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { SqlSessionStore } from '../src/index.js';
import { POSTGRES_URL, tablesDroppedAfterAll } from './support/engines.js';

// PostgreSQL's jsonb stores objects with its own key order and spacing. The Express adapter diffs a
// save against the stored form, so this checks that the reordering never reads as a change.
const admin = new pg.Pool({ connectionString: POSTGRES_URL, max: 2 });
admin.on('error', () => {});
const ok = await engineAvailable(
  'PostgreSQL',
  () => admin.query('SELECT 1'),
  'start PostgreSQL on 127.0.0.1:5432 or set DATABASE_URL',
);
const newTable = tablesDroppedAfterAll(
  ok,
  (table) => admin.query(`DROP TABLE IF EXISTS "${table}"`),
  () => admin.end(),
);

describe.skipIf(!ok)('ExpressSessionStore over PostgreSQL', () => {
  const calls: string[] = [];
  const table = newTable('express');
  let pool: pg.Pool;
  let base: string;
  let server: ReturnType<express.Express['listen']>;
  let release: () => void = () => {};

  beforeAll(async () => {
    pool = new pg.Pool({ connectionString: POSTGRES_URL, max: 4 });
    const sql = new SqlSessionStore({ client: pool, table, pruneIntervalMs: false });
    // Counts the calls that reach the real store.
    const counted = new Proxy(sql, {
      get(target, prop, receiver) {
        const value = Reflect.get(target, prop, receiver) as unknown;
        if (typeof value !== 'function') return value;
        return (...args: unknown[]) => {
          if (['get', 'set', 'patch', 'touch', 'destroy'].includes(String(prop))) calls.push(String(prop));
          return (value as (...a: unknown[]) => unknown).apply(target, args);
        };
      },
    }) as SessionStore;
    const app = express();
    app.use(express.json());
    app.use(
      session({
        secret: 'pg-test',
        resave: true,
        saveUninitialized: false,
        store: new ExpressSessionStore(counted),
        cookie: { maxAge: 3_600_000 },
      }),
    );
    app.post('/login', (req, res) => {
      Object.assign(req.session, { user: { name: 'ann', id: 7, roles: ['buyer'] }, prefs: { theme: 'dark', a: 1 } });
      res.json({ ok: true });
    });
    app.get('/me', (req, res) => void res.json((req.session as unknown as Record<string, unknown>)['user'] ?? null));
    const barrier: Promise<void> = new Promise((resolve) => (release = resolve));
    app.post('/add/:key', async (req, res) => {
      const key = String(req.params['key']);
      await barrier;
      (req.session as unknown as Record<string, unknown>)[key] = [key];
      res.json({ ok: true });
    });
    await new Promise<void>((resolve) => (server = app.listen(0, '127.0.0.1', () => resolve())));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    await new Promise((resolve) => server?.close(resolve));
    await pool?.end();
  });

  it('a read-only request costs one get even with resave: true; concurrent saves keep both keys', async () => {
    const login = await fetch(`${base}/login`, { method: 'POST' });
    const cookie = login.headers.get('set-cookie')!.split(';')[0]!;
    calls.length = 0;
    const me = await fetch(`${base}/me`, { headers: { cookie } });
    assert.deepEqual(await me.json(), { name: 'ann', id: 7, roles: ['buyer'] });
    assert.deepEqual(calls, ['get']);

    const both = Promise.all(
      ['cart', 'wishlist'].map((key) => fetch(`${base}/add/${key}`, { method: 'POST', headers: { cookie } })),
    );
    // release the handlers only once both requests have loaded the session
    assert.ok(await eventually(async () => calls.filter((call) => call === 'get').length === 3, 10_000));
    release();
    // express-session sends the headers before its save and the last byte of the body after it.
    await Promise.all((await both).map((response) => response.text()));
    const sid = decodeURIComponent(cookie.split('=')[1]!).slice(2).split('.')[0]!;
    const { rows } = await admin.query(`SELECT data FROM "${table}" WHERE sid = $1`, [sid]);
    assert.deepEqual(rows[0].data.cart, ['cart']);
    assert.deepEqual(rows[0].data.wishlist, ['wishlist']);
    assert.deepEqual(rows[0].data.user, { name: 'ann', id: 7, roles: ['buyer'] });
  });
});
