import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { redisAvailable } from '@sessionkit/test-suite';
import { afterEach, describe, expect, it } from 'vitest';
import { RedisSessionStore } from '../src/index.js';
import { CLIENT_KINDS } from './support/clients.js';
import { REDIS_URL, runPrefix } from './support/probe.js';

const available = await redisAvailable();
const app = fileURLToPath(new URL('./support/express-app.ts', import.meta.url));

interface Running {
  child: ChildProcess;
  base: string;
  output: () => string;
}

const running: Running[] = [];
afterEach(() => {
  for (const { child } of running.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
});

/** Starts the fixture app in a child process and waits for the port it prints. */
async function startApp(url: string, limits: object): Promise<Running> {
  const child = spawn(process.execPath, ['--import', 'tsx', app, url, JSON.stringify(limits)], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (chunk) => (output += chunk));
  child.stderr!.on('data', (chunk) => (output += chunk));
  const port = await new Promise<number>((resolve, reject) => {
    const onData = () => {
      const match = /"port":(\d+)/.exec(output);
      if (match) resolve(Number(match[1]));
    };
    child.stdout!.on('data', onData);
    child.once('exit', (code) => reject(new Error(`app exited with ${code} before listening: ${output}`)));
  });
  const started = { child, base: `http://127.0.0.1:${port}`, output: () => output };
  running.push(started);
  return started;
}

/** A browser: one cookie jar entry. */
function browser(base: string) {
  let cookie = '';
  return async (method: 'GET' | 'POST', path: string, body?: string): Promise<{ status: number; json: unknown }> => {
    const res = await fetch(base + path, {
      method,
      headers: { ...(cookie ? { cookie } : {}), ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body,
    });
    const set = res.headers.get('set-cookie');
    if (set) cookie = set.split(';')[0]!;
    const text = await res.text();
    let json: unknown = text;
    try {
      json = JSON.parse(text);
    } catch {
      // an error page
    }
    return { status: res.status, json };
  };
}

/** ~50,000 top-level keys in a 539 KB JSON body, under express.json's 1mb limit. */
function floodBody(): string {
  const body = JSON.stringify(Object.fromEntries(Array.from({ length: 50_000 }, (_, i) => [`k${i}`, i % 10])));
  return body;
}

describe.skipIf(!available).each(CLIENT_KINDS)(
  'an Express app on Redis (%s client) in its own process: Object.assign(req.session, req.body)',
  (kind) => {
    // operationTimeoutMs is generous in both: parsing and diffing 50,000 keys blocks the app's event
    // loop for a while on a busy machine, and a read that times out meanwhile would be served as "no
    // session" (failMode open). This checks that the process lives and nobody's session is lost or
    // mixed up, not how fast.
    it.each([
      ['default limits: refused with 400', { operationTimeoutMs: 30_000 }, 400, 0],
      // a user who raised both limits: the whole patch reaches Redis in one script call
      [
        'maxSessionKeys and maxSessionBytes raised: stored',
        { maxSessionKeys: 100_000, maxSessionBytes: 2 * 1024 * 1024, operationTimeoutMs: 30_000 },
        200,
        50_001,
      ],
    ] as const)(
      'one anonymous 539 KB POST of 50,000 keys, %s; the process lives on and other users keep their sessions',
      async (_, limits, status, keysAfter) => {
        const prefix = runPrefix('e2e');
        const url = new URL(REDIS_URL);
        url.searchParams.set('prefix', prefix);
        if (kind !== 'ioredis') url.searchParams.set('client', kind);
        const { child, base, output } = await startApp(url.href, limits);
        try {
          const victim = browser(base);
          expect((await victim('POST', '/login', JSON.stringify({ user: 'victim' }))).status).toBe(200);
          expect((await victim('GET', '/me')).json).toMatchObject({ user: 'victim' });

          const body = floodBody();
          expect(Buffer.byteLength(body)).toBeGreaterThan(530_000);
          expect(Buffer.byteLength(body)).toBeLessThan(1024 * 1024);
          const attacker = browser(base);
          // the victim keeps reading while the attack is in flight
          const [answer, ...during] = await Promise.all([
            attacker('POST', '/data', body),
            ...Array.from({ length: 20 }, () => victim('GET', '/me')),
          ]);
          expect(answer.status, JSON.stringify(answer.json).slice(0, 300)).toBe(status);
          for (const read of during) expect(read).toMatchObject({ status: 200, json: { user: 'victim' } });

          // the same process answers, and everybody's session is as it was
          expect(child.exitCode, output()).toBeNull();
          const me = (await victim('GET', '/me')).json as { user: string; pid: number };
          expect(me).toMatchObject({ user: 'victim', pid: child.pid });
          const attackerNow = (await attacker('GET', '/me')).json as { keys: number };
          // keys counts the session's own `cookie` key
          expect(attackerNow.keys).toBe(keysAfter === 0 ? 1 : keysAfter);
          const late = browser(base);
          expect((await late('POST', '/login', JSON.stringify({ user: 'late' }))).status).toBe(200);
          expect((await late('GET', '/me')).json).toMatchObject({ user: 'late' });
          expect(output()).not.toMatch(/TypeError|RangeError|uncaught/i);
        } finally {
          child.kill('SIGKILL');
          await once(child, 'exit').catch(() => {});
          const cleanup = RedisSessionStore.fromUrl(url.href, { scanCount: 1000, operationTimeoutMs: 30_000 });
          await cleanup.clear();
          await cleanup.close();
        }
      },
      90_000,
    );
  },
);
