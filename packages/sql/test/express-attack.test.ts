import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ExpressSessionStore, type FailMode } from '@sessionkit/express';
import { engineAvailable } from '@sessionkit/test-suite';
import express, { type NextFunction, type Request, type Response } from 'express';
import session from 'express-session';
import mysql from 'mysql2/promise';
import pg from 'pg';
import { afterAll, describe, it } from 'vitest';
import { SqlSessionStore, type SqlClient } from '../src/index.js';
import { MYSQL_URL, PATIENT_TIMEOUT_MS, POSTGRES_URL, tablesDroppedAfterAll } from './support/engines.js';

// One user's data must never make the store "down" for everybody else. Through real HTTP: an
// Express app that copies request bodies into the session (`Object.assign(req.session, req.body)`)
// serves honest users while an attacker sends what used to make the driver fail: NUL and lone
// surrogates, nesting of 33+, hundreds and thousands of keys, and a session grown past the limit.

const dir = mkdtempSync(join(tmpdir(), 'sessionkit-attack-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Engine {
  name: string;
  client(): SqlClient | Promise<SqlClient>;
  table: string;
}

const engines: Engine[] = [{ name: 'SQLite (file)', client: () => sqliteFile(), table: 'sessions' }];

const pgAdmin = new pg.Pool({ connectionString: POSTGRES_URL, max: 2 });
pgAdmin.on('error', () => {});
const pgOk = await engineAvailable(
  'PostgreSQL',
  () => pgAdmin.query('SELECT 1'),
  'start PostgreSQL on 127.0.0.1:5432 or set DATABASE_URL',
);
const pgTable = tablesDroppedAfterAll(
  pgOk,
  (table) => pgAdmin.query(`DROP TABLE IF EXISTS "${table}"`),
  () => pgAdmin.end(),
);
if (pgOk)
  engines.push({
    name: 'PostgreSQL',
    client: () => new pg.Pool({ connectionString: POSTGRES_URL, max: 8 }),
    table: pgTable('attack'),
  });

const myAdmin = mysql.createPool({ uri: MYSQL_URL, connectionLimit: 2 });
const myOk = await engineAvailable(
  'MariaDB/MySQL',
  () => myAdmin.query('SELECT 1'),
  'start MariaDB on 127.0.0.1:3306 or set MYSQL_URL',
);
const myTable = tablesDroppedAfterAll(
  myOk,
  (table) => myAdmin.query(`DROP TABLE IF EXISTS \`${table}\``),
  () => myAdmin.end(),
);
if (myOk)
  engines.push({
    name: 'MariaDB/MySQL',
    client: () => mysql.createPool({ uri: MYSQL_URL, connectionLimit: 8 }),
    table: myTable('attack'),
  });

let files = 0;
async function sqliteFile(): Promise<SqlClient> {
  const { default: Database } = await import('better-sqlite3');
  const db = new Database(join(dir, `attack-${files++}.db`), { timeout: PATIENT_TIMEOUT_MS });
  db.pragma('journal_mode = WAL');
  return db;
}

const nested = (depth: number): unknown => (depth === 0 ? 'leaf' : { n: nested(depth - 1) });
const keys = (count: number, prefix: string) =>
  Object.fromEntries(Array.from({ length: count }, (_, i) => [`${prefix}${i}`, i]));

/**
 * What the attacker sends (JSON request bodies, as text, so a lone surrogate survives) and the
 * status each must get: stored (200) when every store can hold it exactly, refused (400) otherwise.
 */
const ATTACKS: { what: string; body: string; status: 200 | 400; readBack?: [string, unknown] }[] = [
  { what: 'NUL in a value', body: JSON.stringify({ note: 'a\u0000b' }), status: 200, readBack: ['note', 'a\u0000b'] },
  {
    what: 'NUL in a key',
    body: JSON.stringify({ 'k\u0000ey': '\u0000' }),
    status: 200,
    readBack: ['k\u0000ey', '\u0000'],
  },
  { what: 'a lone surrogate in a value', body: '{"s":"x\\ud800"}', status: 400 },
  { what: 'a lone surrogate in a key', body: '{"\\udc00":1}', status: 400 },
  { what: 'nesting of 40', body: JSON.stringify({ deep: nested(40) }), status: 400 },
  { what: '600 keys in one request', body: JSON.stringify(keys(600, 'a')), status: 200, readBack: ['a599', 599] },
  {
    what: '1390 more keys (about 2000 in the session)',
    body: JSON.stringify(keys(1390, 'b')),
    status: 200,
    readBack: ['b1389', 1389],
  },
  { what: '2500 keys in one request (over maxSessionKeys)', body: JSON.stringify(keys(2500, 'c')), status: 400 },
  { what: 'growing the session: first 100 KiB', body: JSON.stringify({ blob1: 'x'.repeat(100 * 1024) }), status: 200 },
  { what: 'growing the session: second 100 KiB', body: JSON.stringify({ blob2: 'x'.repeat(100 * 1024) }), status: 200 },
  {
    what: 'growing the session: third 100 KiB (over 256 KiB in all)',
    body: JSON.stringify({ blob3: 'x'.repeat(100 * 1024) }),
    status: 400,
  },
];

/** Saves explicitly so a refused save can answer 400 (express-session's own save runs after the headers are sent). */
function saveThen(req: Request, _res: Response, next: NextFunction, reply: () => void): void {
  req.session.save((err) => {
    if (!err) return reply();
    // Drop the refused change, so express-session does not try it again when the response ends.
    req.session.reload(() => next(err));
  });
}

function app(store: ExpressSessionStore): express.Express {
  const app = express();
  app.use(express.json({ limit: '2mb' }));
  app.use(
    session({ store, secret: 'attack-test', resave: false, saveUninitialized: false, cookie: { maxAge: 3_600_000 } }),
  );
  const data = (req: Request) => req.session as unknown as Record<string, unknown>;
  app.post('/login', (req, res, next) => {
    data(req)['user'] = req.body.user;
    saveThen(req, res, next, () => res.json({ ok: true }));
  });
  app.get('/me', (req, res) => void res.json({ user: data(req)['user'] ?? null }));
  app.get('/read/:key', (req, res) => void res.json({ value: data(req)[String(req.params['key'])] ?? null }));
  app.post('/cart', (req, res, next) => {
    data(req)['cart'] = [...((data(req)['cart'] as unknown[]) ?? []), req.body.item];
    saveThen(req, res, next, () => res.json({ ok: true }));
  });
  // The vulnerable pattern: whatever the client sends goes into the session.
  app.post('/profile', (req, res, next) => {
    Object.assign(req.session, req.body);
    saveThen(req, res, next, () => res.json({ ok: true }));
  });
  app.use((err: Error & { status?: number }, _req: Request, res: Response, _next: NextFunction) => {
    res.status(err.status ?? 500).json({ error: (err as { code?: string }).code ?? 'error' });
  });
  return app;
}

class Client {
  cookie = '';
  constructor(readonly base: string) {}
  async send(path: string, body?: string): Promise<{ status: number; json: Record<string, unknown> }> {
    const headers: Record<string, string> = body === undefined ? {} : { 'content-type': 'application/json' };
    if (this.cookie) headers['cookie'] = this.cookie;
    const response = await fetch(this.base + path, { method: body === undefined ? 'GET' : 'POST', headers, body });
    const set = response.headers.getSetCookie()[0];
    if (set) this.cookie = set.split(';', 1)[0]!;
    return { status: response.status, json: (await response.json()) as Record<string, unknown> };
  }
}

const USERS = 20;
const ROUNDS = 8;

for (const engine of engines) {
  for (const failMode of ['open', 'closed'] as FailMode[]) {
    describe(`ExpressSessionStore over ${engine.name}, failMode ${failMode}`, () => {
      it('the attacker gets 400 for what no store holds and 200 for what every store holds; no honest request loses its session or gets a 503; no disconnect', async () => {
        // A generous timeout: on a busy machine a slow answer must not read as an outage here.
        const sql = new SqlSessionStore({
          client: await engine.client(),
          table: engine.table,
          closeClient: true,
          pruneIntervalMs: false,
          operationTimeoutMs: PATIENT_TIMEOUT_MS,
        });
        const events: string[] = [];
        sql.on('disconnect', () => events.push('disconnect'));
        const adapter = new ExpressSessionStore(sql, { failMode });
        let server: Server | undefined;
        try {
          server = app(adapter).listen(0, '127.0.0.1');
          await new Promise((resolve) => server!.once('listening', resolve));
          const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

          const honest = Array.from({ length: USERS }, () => new Client(base));
          await Promise.all(honest.map((client, i) => client.send('/login', JSON.stringify({ user: `user-${i}` }))));
          const attacker = new Client(base);
          await attacker.send('/login', JSON.stringify({ user: 'mallory' }));

          const outcomes = { honest: 0, lost: 0, unavailable: 0, otherErrors: 0 };
          let attacking = true;
          const traffic = Promise.all(
            honest.map(async (client, i) => {
              for (let round = 0; round < ROUNDS || attacking; round++) {
                const me = await client.send('/me');
                const cart = await client.send('/cart', JSON.stringify({ item: `item-${round}` }));
                outcomes.honest += 2;
                for (const { status } of [me, cart]) {
                  if (status === 503) outcomes.unavailable++;
                  else if (status !== 200) outcomes.otherErrors++;
                }
                if (me.status === 200 && me.json['user'] !== `user-${i}`) outcomes.lost++;
              }
            }),
          );
          const answers: string[] = [];
          try {
            for (const attack of ATTACKS) {
              const { status, json } = await attacker.send('/profile', attack.body);
              answers.push(`${attack.what}: ${status} ${JSON.stringify(json)}`);
              if (status === 200 && attack.readBack) {
                const [key, value] = attack.readBack;
                const read = await attacker.send(`/read/${encodeURIComponent(key)}`);
                if (JSON.stringify(read.json['value']) !== JSON.stringify(value))
                  answers.push(`${attack.what}: read back ${JSON.stringify(read.json)}`);
              }
            }
          } finally {
            attacking = false;
            await traffic;
          }

          assert.deepEqual(
            answers,
            ATTACKS.map(
              (attack) =>
                answers.find((line) => line.startsWith(`${attack.what}: ${attack.status} `)) ??
                `${attack.what}: expected ${attack.status}`,
            ),
          );
          assert.deepEqual(outcomes, { honest: outcomes.honest, lost: 0, unavailable: 0, otherErrors: 0 });
          assert.ok(outcomes.honest >= USERS * ROUNDS * 2);
          assert.deepEqual(events, [], 'the store emitted disconnect');
          assert.equal(adapter.available, true);
          // the attacker's own session is intact: still logged in, holding what was stored
          assert.equal((await attacker.send('/me')).json['user'], 'mallory');
          for (const honestClient of honest)
            assert.equal(((await honestClient.send('/read/cart')).json['value'] as unknown[]).length >= ROUNDS, true);
        } finally {
          await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
          await sql.close();
        }
      }, 300_000);
    });
  }
}
