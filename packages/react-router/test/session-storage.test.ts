import {
  BACKENDS,
  CountingStore,
  HttpSessionStore,
  SessionServer,
  type OpenedBackend,
} from '@sessionkit/adapter-suite';
import type { SessionStore } from '@sessionkit/core';
import { eventually } from '@sessionkit/test-suite';
import { createCookie, createSessionStorage } from 'react-router';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sessionkitStorage, type SessionkitStorageOptions } from '../src/index.js';

const SECRET = 'a react-router test secret';

/** React Router's own createSessionStorage and createCookie over sessionkitStorage, as an app wires them. */
function storage(store: SessionStore, options: SessionkitStorageOptions = {}, secrets = [SECRET]) {
  const cookie = createCookie('__session', { secrets, httpOnly: true, sameSite: 'lax', maxAge: 600 });
  return { cookie, ...createSessionStorage({ cookie, ...sessionkitStorage(store, options) }) };
}

/** The `Cookie` header a browser sends back for a `Set-Cookie` value. */
const cookieHeader = (setCookie: string) => setCookie.split(';')[0]!;

for (const backend of BACKENDS) {
  describe(`sessionkitStorage on ${backend.name} through React Router's createSessionStorage`, () => {
    let opened: OpenedBackend | undefined;
    let skip = false;
    beforeAll(async () => {
      skip = !(await backend.available());
      if (!skip) opened = await backend.open();
    });
    afterAll(async () => {
      await opened?.close();
    });
    const scenario = (title: string, body: (b: OpenedBackend) => Promise<void>) =>
      it(title, async (context) => {
        if (skip || !opened) return context.skip();
        await body(opened);
      });

    scenario('commit, read back, flash, destroy', async ({ store }) => {
      const { getSession, commitSession, destroySession } = storage(store);
      const fresh = await getSession(null);
      fresh.set('user', 'alice');
      fresh.flash('notice', 'welcome');
      const header = cookieHeader(await commitSession(fresh));
      const loaded = await getSession(header);
      expect(loaded.get('user')).toBe('alice');
      expect(loaded.get('notice')).toBe('welcome');
      expect(await store.get(loaded.id)).toMatchObject({ user: 'alice' });
      await commitSession(loaded); // the flash was read: gone after this commit
      expect((await getSession(header)).has('notice')).toBe(false);
      expect(JSON.stringify(await store.get(loaded.id))).not.toContain('sessionkit:loaded');
      await destroySession(await getSession(header));
      expect(await store.get(loaded.id)).toBeNull();
      expect((await getSession(header)).get('user')).toBeUndefined();
    });

    scenario(
      'two actions in flight on one session, one adding cart and one wishlist, keep both; each is one read and one patch',
      async ({ store }) => {
        const counting = new CountingStore(store);
        const { getSession, commitSession } = storage(counting);
        const created = await getSession(null);
        created.set('user', 'alice');
        const header = cookieHeader(await commitSession(created));
        counting.reset();
        const [a, b] = await Promise.all([getSession(header), getSession(header)]);
        a.set('cart', ['book']);
        b.set('wishlist', ['lamp']);
        await Promise.all([commitSession(a), commitSession(b)]);
        expect(counting.calls.sort()).toEqual(['get', 'get', 'patch', 'patch']);
        const after = await getSession(header);
        expect(after.data).toMatchObject({ user: 'alice', cart: ['book'], wishlist: ['lamp'] });
      },
    );

    scenario('an unchanged commit inside touchAfterMs is one read and no write', async ({ store }) => {
      const counting = new CountingStore(store);
      const { getSession, commitSession } = storage(counting);
      const created = await getSession(null);
      created.set('user', 'alice');
      const header = cookieHeader(await commitSession(created));
      counting.reset();
      for (let i = 0; i < 3; i += 1) await commitSession(await getSession(header));
      expect(counting.calls).toEqual(['get', 'get', 'get']);
    });

    scenario(
      'bad input: a tampered cookie, a validly signed malformed id, an undecodable session: an empty session, no crash',
      async (b) => {
        const counting = new CountingStore(b.store);
        const warnings: string[] = [];
        const { cookie, getSession, commitSession } = storage(counting, {
          logger: { warn: (line) => warnings.push(line) },
        });
        const created = await getSession(null);
        created.set('user', 'alice');
        const header = cookieHeader(await commitSession(created));
        counting.reset();
        const tampered = header.slice(0, -4) + (header.endsWith('AAAA') ? 'BBBB' : 'AAAA');
        expect((await getSession(tampered)).data).toEqual({});
        const malformed = cookieHeader(await cookie.serialize('x'.repeat(300)));
        expect((await getSession(malformed)).data).toEqual({});
        expect(counting.calls).toEqual([]);
        expect((await getSession(`__session=${'A'.repeat(20_000)}`)).data).toEqual({});

        await b.corrupt((await getSession(header)).id);
        expect((await getSession(header)).data).toEqual({});
        expect((await getSession(header)).data).toEqual({});
        expect(warnings).toHaveLength(1);
      },
    );
  });
}

describe('sessionkitStorage with the store down (a real session server in a child process)', () => {
  const server = new SessionServer();
  beforeAll(async () => {
    await server.start();
  });
  afterAll(async () => {
    await server.stop();
  });

  it("failMode 'open': an empty session under the same id while the store hangs, nothing written; back by itself", async () => {
    const { getSession, commitSession } = storage(new HttpSessionStore(server.url, { operationTimeoutMs: 1500 }), {
      probeIntervalMs: 100,
    });
    const created = await getSession(null);
    created.set('user', 'alice');
    const header = cookieHeader(await commitSession(created));
    server.pause();
    try {
      const degraded = await getSession(header);
      expect(degraded.get('user')).toBeUndefined();
      expect(cookieHeader(await commitSession(degraded))).toBe(header);
    } finally {
      server.resume();
    }
    expect(await eventually(async () => (await getSession(header)).get('user') === 'alice', 15_000)).toBe(true);
  });

  it("failMode 'closed': getSession rejects with StoreUnavailableError, status 503", async () => {
    const { getSession, commitSession } = storage(new HttpSessionStore(server.url, { operationTimeoutMs: 1500 }), {
      failMode: 'closed',
      probeIntervalMs: 100,
    });
    const created = await getSession(null);
    created.set('user', 'alice');
    const header = cookieHeader(await commitSession(created));
    server.pause();
    try {
      await expect(getSession(header)).rejects.toMatchObject({ code: 'ERR_STORE_UNAVAILABLE', status: 503 });
    } finally {
      server.resume();
    }
  });
});
