// Child process: the Store API micro-benchmark. Both stores of each comparison live in this one
// process and are called the way express-session calls a store, through its callback API (ours
// wrapped in ExpressSessionStore), with no HTTP in between. `open` creates the sessions, each
// `round` measures every operation of every pair with tinybench, ours and theirs back to back in
// an order that alternates from round to round.
import session from 'express-session';
import { Bench } from 'tinybench';
import { SESSION_MAX_AGE_MS, type BackendConfig } from './backend-config.js';
import { comparisonLabel } from './catalog.js';
import { runChild } from './ipc.js';
import { openStore, type OpenedStore } from './open-store.js';
import type { ApiOperation, ApiSample } from './results.js';
import { cpuMicros } from './stats.js';

export interface ApiBenchArgs {
  backend: BackendConfig;
  /** tinybench time budget per task and round, ms. */
  timeMs: number;
  /** Calls in flight per tinybench iteration, like concurrent requests of a server. */
  batch: number;
  sessions: number;
}

/** The operations in the order each round measures them (`set` last: it changes the carts). */
export const API_OPERATIONS: readonly ApiOperation[] = ['get', 'touch', 'set'];

/** One sample of a round: which pair (index into `open`'s pairs), operation and side. */
export interface ApiRoundSample {
  pair: number;
  operation: ApiOperation;
  side: 'ours' | 'theirs';
  sample: ApiSample;
}

type LoadedSession = session.Session & { cookie: session.Cookie };
/** The cart of a session (not declared on SessionData: an augmentation would reach every package's types). */
const cartOf = (sess: object) => (sess as { cart: Record<string, number> }).cart;
// The typings make these constructors private / argument-less; express-session's generate() calls them so.
const SessionClass = session.Session as unknown as new (req: unknown, data: object) => LoadedSession;
const CookieClass = session.Cookie as unknown as new (options: object) => session.Cookie;
const asData = (sess: LoadedSession) => sess as unknown as session.SessionData;
type Done<T = unknown> = (error?: unknown, value?: T) => void;

/** One store as express-session sees it, with its sessions loaded the way a request loads them. */
interface Subject {
  id: string;
  opened: OpenedStore;
  store: session.Store;
  sids: string[];
  /** One loaded session per sid (`createSession` on what `get` returned), reused by touch and set. */
  loaded: LoadedSession[];
}

const args = JSON.parse(process.env.BENCH_API ?? '{}') as ApiBenchArgs;

/** express-session's callback call as a promise. */
function call<T>(fn: (done: Done<T>) => void): Promise<T | undefined> {
  return new Promise((resolve, reject) =>
    fn((error, value) => (error ? reject(error instanceof Error ? error : new Error(String(error))) : resolve(value))),
  );
}

/** A request as much as `Store#createSession` and the stores read of it. */
const requestFor = (sid: string) => ({ sessionID: sid }) as unknown as Parameters<session.Store['createSession']>[0];

async function openSubject(id: string, tag: string): Promise<Subject> {
  const opened = await openStore(id, args.backend);
  const store = opened.express;
  if (!store) throw new Error(`${id} has no express-session store`);
  const sids = Array.from({ length: args.sessions }, (_, index) => `api-${tag}-${index}`);
  // New sessions as express-session's generate() makes them, saved through set.
  for (const [index, sid] of sids.entries()) {
    const fresh = new SessionClass(requestFor(sid), {
      cart: { 'sku-1': 2, [`sku-${index % 8}`]: 1 },
      user: { id: index, name: `user ${index}`, locale: 'en-GB' },
    });
    fresh.cookie = new CookieClass({ maxAge: SESSION_MAX_AGE_MS, httpOnly: true, path: '/' });
    await call((done) => store.set(sid, asData(fresh), done));
  }
  const loaded: LoadedSession[] = [];
  for (const sid of sids) {
    const data = await call<session.SessionData | null>((done) => store.get(sid, done));
    if (!data) throw new Error(`${id}: session ${sid} did not read back`);
    loaded.push(store.createSession(requestFor(sid), data) as LoadedSession);
  }
  return { id, opened, store, sids, loaded };
}

/** What one call of `operation` does on session `index`, as express-session makes it. */
function operationOf(subject: Subject, operation: ApiOperation): (index: number) => Promise<unknown> {
  const { store, sids, loaded } = subject;
  switch (operation) {
    case 'get':
      // Loading a session: get, then createSession on what it returned.
      return async (index) => {
        const sid = sids[index]!;
        const data = await call<session.SessionData | null>((done) => store.get(sid, done));
        if (!data) throw new Error(`${subject.id}: session ${sid} is gone`);
        return store.createSession(requestFor(sid), data);
      };
    case 'touch':
      // End of an unmodified request: express-session moves the cookie expiry, then calls touch.
      return (index) => {
        const sess = loaded[index]!;
        sess.touch();
        return call((done) => store.touch!(sids[index]!, asData(sess), done));
      };
    case 'set':
      // End of a request that changed the cart: the cookie expiry moves too, then set.
      return (index) => {
        const sess = loaded[index]!;
        const sku = `sku-${index % 8}`;
        const cart = cartOf(sess);
        (sess as unknown as { cart: Record<string, number> }).cart = { ...cart, [sku]: (cart[sku] ?? 0) + 1 };
        sess.touch();
        return call((done) => store.set(sids[index]!, asData(sess), done));
      };
  }
}

/** Runs one tinybench task per subject, in the order given, and returns a sample for each. */
async function measure(subjects: Subject[], operation: ApiOperation, round: number): Promise<ApiSample[]> {
  const bench = new Bench({ time: args.timeMs, warmupTime: Math.min(100, args.timeMs / 2), throws: true });
  const counters = subjects.map(() => ({ calls: 0, counting: false, cpuStart: { user: 0, system: 0 }, cpu: 0 }));
  subjects.forEach((subject, position) => {
    const once = operationOf(subject, operation);
    const counter = counters[position]!;
    let next = 0;
    bench.add(
      subject.id,
      async () => {
        const calls: Promise<unknown>[] = [];
        for (let slot = 0; slot < args.batch; slot += 1) calls.push(once(next++ % subject.sids.length));
        await Promise.all(calls);
        if (counter.counting) counter.calls += args.batch;
      },
      {
        beforeAll(mode) {
          if (mode !== 'run') return;
          counter.counting = true;
          counter.calls = 0;
          counter.cpuStart = process.cpuUsage();
        },
        afterAll(mode) {
          if (mode !== 'run') return;
          counter.counting = false;
          counter.cpu = cpuMicros(process.cpuUsage(counter.cpuStart));
        },
      },
    );
  });
  const tasks = await bench.run();
  return tasks.map((task, position) => {
    const result = task.result;
    if (result.state !== 'completed')
      throw new Error(`${task.name} ${operation}: ${result.state === 'errored' ? result.error.message : result.state}`);
    const counter = counters[position]!;
    return {
      round,
      opsPerSecond: (args.batch * 1000) / result.period,
      cpuMicrosPerCall: counter.cpu / counter.calls,
      calls: counter.calls,
    };
  });
}

await runChild(async () => {
  /** Aligned with the pairs `open` was asked for; `undefined` where one could not be opened. */
  const pairs: ({ ours: Subject; theirs: Subject } | undefined)[] = [];
  const opened: Subject[] = [];
  const tag = Math.random().toString(36).slice(2, 10);
  return {
    handlers: {
      /** Opens both stores of each pair; answers, per pair, `null` or why it cannot be measured. */
      open: async (requested) => {
        const answers: (string | null)[] = [];
        for (const { ours, theirs } of requested as { ours: string; theirs: string }[]) {
          try {
            const subjects = {
              ours: opened.find((subject) => subject.id === ours) ?? (await openSubject(ours, tag)),
              theirs: opened.find((subject) => subject.id === theirs) ?? (await openSubject(theirs, tag)),
            };
            for (const subject of [subjects.ours, subjects.theirs]) if (!opened.includes(subject)) opened.push(subject);
            pairs.push(subjects);
            answers.push(null);
          } catch (error) {
            pairs.push(undefined);
            answers.push(
              `${comparisonLabel({ ours, theirs })}: ${error instanceof Error ? error.message : String(error)}`,
            );
          }
        }
        return answers;
      },
      /** One round: each operation, each pair, ours and theirs back to back (theirs first in even rounds). */
      round: async (roundArg) => {
        const round = roundArg as number;
        const samples: ApiRoundSample[] = [];
        for (const operation of API_OPERATIONS) {
          for (const [index, pair] of pairs.entries()) {
            if (!pair) continue;
            const sides = round % 2 === 0 ? (['theirs', 'ours'] as const) : (['ours', 'theirs'] as const);
            const measured = await measure(
              sides.map((side) => pair[side]),
              operation,
              round,
            );
            for (const [position, side] of sides.entries()) {
              samples.push({ pair: index, operation, side, sample: measured[position]! });
            }
          }
        }
        return samples;
      },
    },
    close: async () => {
      for (const subject of opened) await subject.opened.close();
    },
  };
});
