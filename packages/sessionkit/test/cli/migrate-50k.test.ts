import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { ExpressSessionStore } from '@sessionkit/express';
import { RedisStore } from 'connect-redis';
import express from 'express';
import session from 'express-session';
import { Redis } from 'ioredis';
import pg from 'pg';
import { createClient } from 'redis';
import { afterAll, describe, expect, it } from 'vitest';
import { createStore, type SessionData } from '../../src/index.js';
import {
  deleteRedisPrefix,
  finished,
  POSTGRES_URL,
  postgresAvailable,
  REDIS_URL,
  redisAvailable,
  scratchDir,
  sessionCookie,
  spawnCli,
  unique,
  withTable,
} from '../support/cli.js';

const SESSIONS = 50_000;
const USERS = 10_000;
const SECRET = 'migrate-test-secret';
const MINUTE = 60_000;

/** A session as express-session hands it to its store; every 50th has a browser-session cookie (no expiry). */
function sessionOf(i: number): SessionData {
  const maxAge = i % 50 === 0 ? null : (10 + (i % 2870)) * MINUTE; // 10 min to 2 days
  const cookie = {
    originalMaxAge: maxAge,
    expires: maxAge === null ? null : new Date(Date.now() + maxAge).toISOString(),
    secure: false,
    httpOnly: true,
    path: '/',
  };
  return { cookie, passport: { user: `user-${i % USERS}` }, cart: [{ sku: `sku-${i % 97}`, qty: 1 + (i % 3) }] };
}

const sidOf = (i: number) => `m50k-${i.toString(36).padStart(5, '0')}-${'x'.repeat(16)}`;

/** An Express app on express-session with `store`; GET /me answers who is logged in, POST /cart changes the session. */
async function startApp(store: session.Store) {
  const app = express();
  app.use(session({ secret: SECRET, resave: false, saveUninitialized: false, store }));
  app.get('/me', (req, res) => {
    res.json({ user: (req.session as { passport?: { user?: string } }).passport?.user ?? null });
  });
  app.post('/cart', (req, res) => {
    const data = req.session as unknown as { cart?: unknown[] };
    data.cart = [...(data.cart ?? []), { sku: 'added-during-migration', qty: 1 }];
    res.json({ items: data.cart.length });
  });
  const server = app.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { base, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

describe.skipIf(!redisAvailable || !postgresAvailable)(
  'migrate: 50,000 connect-redis sessions to PostgreSQL while the app keeps serving',
  () => {
    const prefix = `${unique('m50k')}:`;
    const table = unique('m50k');
    const dir = scratchDir();
    const admin = new pg.Pool({ connectionString: POSTGRES_URL, max: 2 });
    const nodeRedis = createClient({ url: REDIS_URL });
    const ioredis = new Redis(REDIS_URL);
    afterAll(async () => {
      await deleteRedisPrefix(prefix);
      await admin.query(`DROP TABLE IF EXISTS ${table}`);
      await admin.end();
      if (nodeRedis.isOpen) await nodeRedis.quit();
      ioredis.disconnect();
    });

    it('every user is still logged in afterwards, and no session has gained lifetime', async () => {
      // 1. 50,000 sessions of 10,000 users (5 devices each), written by connect-redis on node-redis.
      await nodeRedis.connect();
      const theirs = new RedisStore({ client: nodeRedis, prefix });
      for (let start = 0; start < SESSIONS; start += 1000) {
        await Promise.all(
          Array.from({ length: 1000 }, (_, k) =>
            theirs.set(sidOf(start + k), sessionOf(start + k) as unknown as session.SessionData),
          ),
        );
      }
      expect(await theirs.length()).toBe(SESSIONS);

      // 2. The app keeps serving on connect-redis during the migration: logged-in reads (which
      //    touch, extending the source TTL) and cart changes, four requests at a time.
      const source = await startApp(theirs);
      const requested = new Set<string>();
      const failures: string[] = [];
      let served = 0;
      let migrating = true;
      const load = Array.from({ length: 4 }, async (_, worker) => {
        for (let n = worker; migrating; n += 4) {
          const i = (n * 7919) % SESSIONS;
          const sid = sidOf(i);
          requested.add(sid);
          const cart = n % 5 === 0;
          const response = await fetch(`${source.base}/${cart ? 'cart' : 'me'}`, {
            method: cart ? 'POST' : 'GET',
            headers: { cookie: sessionCookie(sid, SECRET) },
          });
          const body = (await response.json()) as { user?: string | null; items?: number };
          if (response.status !== 200 || (!cart && body.user !== `user-${i % USERS}`))
            failures.push(`${sid}: ${response.status} ${JSON.stringify(body)}`);
          served++;
        }
      });

      // 3. The real binary, as an operator runs it.
      const target = withTable(POSTGRES_URL, table);
      const started = Date.now();
      const run = await finished(
        spawnCli([
          'migrate',
          `connect-redis+${REDIS_URL}?prefix=${prefix}`,
          target,
          '--json',
          '--state',
          join(dir, 'state.json'),
        ]),
        480_000,
      );
      const elapsed = Date.now() - started;
      migrating = false;
      await Promise.all(load);
      await source.close();
      expect(run.stderr).toBe('');
      expect(run.status).toBe(0);
      const summary = JSON.parse(run.stdout);
      console.info(
        `[migrate] ${SESSIONS} connect-redis sessions → PostgreSQL: ${elapsed} ms (${Math.round((SESSIONS * 1000) / elapsed)} sessions/s) with ${served} app requests served meanwhile`,
      );
      expect(summary.outcome).toBe('done');
      expect(summary.counts).toMatchObject({
        read: SESSIONS,
        copied: SESSIONS,
        expired: 0,
        undecodable: 0,
        refused: 0,
        missing: 0,
        estimatedTtl: 0,
      });
      expect(summary.rowCounts).toMatchObject({
        sourceAtStart: SESSIONS,
        sourceAtEnd: SESSIONS,
        targetAtStart: 0,
        targetAtEnd: SESSIONS,
      });
      expect(summary.countCheck).toEqual({ expectedAtLeast: SESSIONS, passed: true });
      expect(failures).toEqual([]);
      expect(served).toBeGreaterThan(0);

      // 4. No session has gained lifetime: the target's expiry is never later than the source key's.
      //    The source expiry is bounded from above by (time after the PTTL reply) + PTTL.
      const { rows } = await admin.query<{ sid: string; expires_at: string }>(`SELECT sid, expires_at FROM ${table}`);
      const targetExpiry = new Map(rows.map((row) => [row.sid, Number(row.expires_at)]));
      expect(targetExpiry.size).toBe(SESSIONS);
      const gained: string[] = [];
      const lost: string[] = [];
      for (let start = 0; start < SESSIONS; start += 5000) {
        const pipeline = ioredis.pipeline();
        const sids = Array.from({ length: 5000 }, (_, k) => sidOf(start + k));
        for (const sid of sids) pipeline.pttl(prefix + sid);
        const before = Date.now();
        const replies = (await pipeline.exec()) ?? [];
        const after = Date.now();
        sids.forEach((sid, k) => {
          const pttl = Number(replies[k]?.[1]);
          const copied = targetExpiry.get(sid);
          expect(pttl).toBeGreaterThan(0);
          if (copied === undefined || copied > after + pttl)
            gained.push(`${sid}: target ${copied}, source ≤ ${after + pttl}`);
          // a session nobody used during the migration kept its lifetime, less the 1 s margin
          else if (!requested.has(sid) && copied < before + pttl - 10_000)
            lost.push(`${sid}: target ${copied}, source ≥ ${before + pttl}`);
        });
      }
      expect(gained).toEqual([]);
      expect(lost).toEqual([]);

      // 5. Every user is still logged in: each session reads through the target store, and the app,
      //    switched to PostgreSQL, knows a sample of users by their old cookies.
      // Reads 500 at a time: a busy machine may take longer than the 2 s default, which is no outage.
      const store = createStore(target, { operationTimeoutMs: 120_000 });
      try {
        const wrong: string[] = [];
        for (let start = 0; start < SESSIONS; start += 500) {
          const sessions = await Promise.all(Array.from({ length: 500 }, (_, k) => store.get(sidOf(start + k))));
          sessions.forEach((data, k) => {
            const user = (data?.['passport'] as { user?: string } | undefined)?.user;
            if (user !== `user-${(start + k) % USERS}`) wrong.push(sidOf(start + k));
          });
        }
        expect(wrong).toEqual([]);
        const switched = await startApp(new ExpressSessionStore(store) as unknown as session.Store);
        try {
          for (let i = 0; i < SESSIONS; i += 97) {
            const response = await fetch(`${switched.base}/me`, {
              headers: { cookie: sessionCookie(sidOf(i), SECRET) },
            });
            expect(await response.json()).toEqual({ user: `user-${i % USERS}` });
          }
        } finally {
          await switched.close();
        }
      } finally {
        await store.close();
      }
    }, 900_000);
  },
);
