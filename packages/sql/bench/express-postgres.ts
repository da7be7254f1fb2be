// Read and write requests per second of an Express app whose sessions live in PostgreSQL
// (express-session + ExpressSessionStore + SqlSessionStore), measured with autocannon.
//
//   node --import tsx packages/sql/bench/express-postgres.ts [connections=20] [seconds=10] [sessions=200]
//
// The app runs in a child process so the load generator does not share its event loop. Each
// request carries the cookie of one of `sessions` logged-in users, round robin. GET /cart reads
// the session (one SELECT, no write); POST /cart changes one key (one INSERT … ON CONFLICT).
// Uses DATABASE_URL (default postgres://postgres@127.0.0.1:5432/test) and a table it drops afterwards.
import { fork, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { ExpressSessionStore } from '@sessionkit/express';
import express from 'express';
import session from 'express-session';
import pg from 'pg';
import { SqlSessionStore } from '../src/index.js';

const DATABASE_URL = process.env['DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';
const MAX_AGE_MS = 3_600_000;

declare module 'express-session' {
  interface SessionData {
    user: { id: number };
    cart: string[];
  }
}

if (process.argv[2] === '--serve') await serve(process.argv[3] as string);
else await measure(Number(process.argv[2] ?? 20), Number(process.argv[3] ?? 10), Number(process.argv[4] ?? 200));

async function serve(table: string): Promise<void> {
  const pool = new pg.Pool({ connectionString: DATABASE_URL, max: 10, connectionTimeoutMillis: 2000 });
  const store = new SqlSessionStore({ client: pool, table, pruneIntervalMs: false });
  const app = express();
  app.use(
    session({
      store: new ExpressSessionStore(store),
      secret: 'bench',
      resave: false,
      saveUninitialized: false,
      cookie: { maxAge: MAX_AGE_MS },
    }),
  );
  let users = 0;
  app.post('/login', (req, res) => {
    req.session.user = { id: ++users };
    req.session.cart = [];
    res.json({ ok: true });
  });
  app.get('/cart', (req, res) => void res.json(req.session.cart ?? null));
  app.post('/cart', (req, res) => {
    req.session.cart = [...(req.session.cart ?? []).slice(-9), `sku-${Date.now() % 1000}`];
    res.json(req.session.cart.length);
  });
  const server = app.listen(0, '127.0.0.1', () => process.send?.((server.address() as AddressInfo).port));
  process.on('message', async () => {
    server.close();
    await pool.query(`DROP TABLE IF EXISTS "${table}"`);
    await store.close();
    await pool.end();
    process.exit(0);
  });
}

async function measure(connections: number, seconds: number, sessions: number): Promise<void> {
  const table = `bench_sessions_${randomBytes(4).toString('hex')}`;
  const child: ChildProcess = fork(fileURLToPath(import.meta.url), ['--serve', table], {
    execArgv: ['--import', 'tsx'],
  });
  const [port] = (await once(child, 'message')) as [number];
  const base = `http://127.0.0.1:${port}`;
  try {
    const cookies: string[] = [];
    for (let i = 0; i < sessions; i++) {
      const response = await fetch(`${base}/login`, { method: 'POST' });
      cookies.push((response.headers.get('set-cookie') ?? '').split(';')[0] as string);
    }
    console.log(
      `PostgreSQL via express-session + ExpressSessionStore + SqlSessionStore: ${connections} connections, ${seconds} s per run, ${sessions} sessions`,
    );
    const admin = new pg.Pool({ connectionString: DATABASE_URL, max: 1 });
    // Sessions written (patch, touch or set) since `since`: each write moves expires_at to at
    // least since + maxAge, past the expiry of every session last written before.
    const writtenSince = async (since: number) => {
      const { rows } = await admin.query(`SELECT count(*)::int AS n FROM "${table}" WHERE expires_at >= $1`, [
        since + MAX_AGE_MS,
      ]);
      return rows[0].n as number;
    };
    for (const [label, method] of [
      ['read  (GET /cart) ', 'GET'],
      ['write (POST /cart)', 'POST'],
    ] as const) {
      let next = 0;
      const started = Date.now();
      const result = await autocannon({
        url: base,
        connections,
        duration: seconds,
        requests: [
          {
            method,
            path: '/cart',
            setupRequest: (request) => ({
              ...request,
              headers: { ...request.headers, cookie: cookies[next++ % cookies.length] as string },
            }),
          },
        ],
      });
      const failed = result.non2xx + result.errors + result.timeouts;
      console.log(
        `${label}: ${Math.round(result.requests.average)} req/s, latency p50 ${result.latency.p50} ms, p99 ${result.latency.p99} ms, ${result.requests.total} requests, ${failed} failed, ${await writtenSince(started)} of ${sessions} sessions written`,
      );
    }
    await admin.end();
  } finally {
    child.send('stop');
    await once(child, 'exit');
  }
  await storeLevel(connections, seconds, sessions);
}

/** The same reads and one-key writes straight on the store, without HTTP and express-session. */
async function storeLevel(concurrency: number, seconds: number, sessions: number): Promise<void> {
  const table = `bench_sessions_${randomBytes(4).toString('hex')}`;
  const pool = new pg.Pool({ connectionString: DATABASE_URL, max: 10 });
  const store = new SqlSessionStore({ client: pool, table, pruneIntervalMs: false });
  const sids = Array.from({ length: sessions }, (_, i) => `bench-${table}-${i}`);
  await Promise.all(sids.map((sid, i) => store.set(sid, { user: { id: i }, cart: [] }, { ttlMs: 3_600_000 })));
  for (const [label, op] of [
    ['store get  ', (sid: string) => store.get(sid)],
    [
      'store patch',
      (sid: string) =>
        store.patch(sid, { set: { cart: [`sku-${Date.now() % 1000}`] }, unset: [] }, { ttlMs: 3_600_000 }),
    ],
  ] as const) {
    let done = 0;
    let next = 0;
    const until = Date.now() + seconds * 1000;
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (Date.now() < until) {
          await op(sids[next++ % sids.length] as string);
          done++;
        }
      }),
    );
    console.log(`${label}: ${Math.round(done / seconds)} ops/s (${concurrency} in flight, pool of 10)`);
  }
  await pool.query(`DROP TABLE IF EXISTS "${table}"`);
  await store.close();
  await pool.end();
}
