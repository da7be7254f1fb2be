import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '@sessionkit/test-suite';
import { Client, HttpSessionStore, listen, SessionServer } from '@sessionkit/adapter-suite';
import { ExpressSessionStore, type FailMode } from '../src/index.js';
import { sessionApp } from './support/app.js';

// The store's backend is a real server in a child process; SIGSTOP makes it hang, SIGKILL makes it
// refuse connections. Only generous bounds on time: they catch a hang, not slowness.
const OPERATION_TIMEOUT_MS = 500;
// Fail fast means no driver-length wait; the slack is wide so a busy machine cannot fail it.
const HANG_BOUND_MS = OPERATION_TIMEOUT_MS + 10_000;

const server = new SessionServer();
beforeAll(async () => {
  await server.start();
});
afterAll(async () => {
  await server.stop();
});

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  server.resume();
  await Promise.all(closers.splice(0).map((close) => close()));
});

async function loggedIn(failMode: FailMode) {
  const adapter = new ExpressSessionStore(
    new HttpSessionStore(server.url, { operationTimeoutMs: OPERATION_TIMEOUT_MS }),
    {
      failMode,
      probeIntervalMs: 100,
    },
  );
  const http = await listen(sessionApp(adapter, { cookie: { maxAge: 600_000 } }));
  closers.push(http.close);
  const client = new Client(http.url);
  await client.post('/login');
  expect(await client.json('/me')).toMatchObject({ user: 'alice' });
  return { adapter, client, url: http.url, cookie: client.cookies.get('sid') };
}

async function timed<T>(work: Promise<T>): Promise<{ value: T; ms: number }> {
  const started = performance.now();
  const value = await work;
  return { value, ms: performance.now() - started };
}

/** Polls `check` (test-suite's `eventually`) and fails the test when it is not met within `timeoutMs`. */
async function until(check: () => Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  expect(await eventually(check, timeoutMs), 'condition not met in time').toBe(true);
}

describe("failMode 'open'", () => {
  it('serves requests without a session while the store hangs, keeps the cookie, and recovers by itself', async () => {
    const { adapter, client, cookie } = await loggedIn('open');
    server.pause();

    // The request that finds the store down waits at most operationTimeoutMs, then is served with a
    // detached session: not saved, no Set-Cookie, so the user's cookie is untouched.
    const first = await timed(client.request('/me'));
    expect(first.value.status).toBe(200);
    expect(first.ms).toBeLessThan(HANG_BOUND_MS);
    expect(await first.value.json()).toMatchObject({ user: null, sessionID: null });
    expect(client.lastSetCookie).toEqual([]);
    expect(adapter.available).toBe(false);

    // express-session got 'disconnect': later requests do not wait for the store at all.
    const later = await timed(client.request('/set/cart/book', { method: 'POST' }));
    expect(later.value.status).toBe(200);
    expect(later.ms).toBeLessThan(HANG_BOUND_MS);
    expect(await client.json('/me')).toMatchObject({ hasSession: false });
    expect(client.lastSetCookie).toEqual([]);
    expect(client.cookies.get('sid')).toBe(cookie);

    server.resume();
    await until(async () => (await client.json('/me'))['user'] === 'alice');
    expect(adapter.available).toBe(true);
    expect(client.cookies.get('sid')).toBe(cookie);
  });

  it('a store that refuses connections fails fast and recovers after a restart', async () => {
    const { client } = await loggedIn('open');
    await server.stop();
    const down = await timed(client.request('/me'));
    expect(down.value.status).toBe(200);
    expect(down.ms).toBeLessThan(HANG_BOUND_MS);
    expect(client.lastSetCookie).toEqual([]);

    await server.start(); // same port, empty backend: the old session is gone
    await until(async () => (await client.json('/me'))['hasSession'] === true);
    await client.post('/login');
    expect(await client.json('/me')).toMatchObject({ user: 'alice' });
  });
});

describe("failMode 'closed'", () => {
  it('answers 503 while the store hangs, for known and new visitors, and recovers by itself', async () => {
    const { adapter, client, url, cookie } = await loggedIn('closed');
    server.pause();

    const first = await timed(client.request('/me'));
    expect(first.value.status).toBe(503);
    expect(first.ms).toBeLessThan(HANG_BOUND_MS);
    expect(await first.value.json()).toMatchObject({ code: 'ERR_STORE_UNAVAILABLE' });
    expect(adapter.available).toBe(false);

    // Known down: answered at once, without waiting for the store; a new visitor is refused too.
    const again = await timed(client.request('/me'));
    expect(again.value.status).toBe(503);
    expect(again.ms).toBeLessThan(HANG_BOUND_MS);
    expect((await new Client(url).request('/login', { method: 'POST' })).status).toBe(503);
    expect(client.cookies.get('sid')).toBe(cookie);

    server.resume();
    await until(async () => (await client.request('/me')).status === 200);
    expect(await client.json('/me')).toMatchObject({ user: 'alice' });
  });
});
