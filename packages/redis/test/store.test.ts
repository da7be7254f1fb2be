import { createStore, SessionStoreError } from '@sessionkit/core';
import { eventually, redisAvailable, rejection, sleep } from '@sessionkit/test-suite';
import { Redis } from 'ioredis';
import { createClient, createClientPool } from 'redis';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { clientKind } from '../src/client.js';
import { RedisSessionStore, ReplicationError } from '../src/index.js';
import { keySpace, slotOf } from '../src/keys.js';
import { CLIENT_KINDS, command, isClosed, standaloneClient, withClient } from './support/clients.js';
import { REDIS_URL, runPrefix } from './support/probe.js';

const available = await redisAvailable();
const TTL = { ttlMs: 60_000 };

describe.skipIf(!available)('RedisSessionStore on standalone Redis', () => {
  const client = new Redis(REDIS_URL, { lazyConnect: true });
  const stores: RedisSessionStore[] = [];
  const afterCleanup: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const store of stores.splice(0)) {
      await store.clear().catch(() => {});
      await store.close();
    }
    for (const cleanup of afterCleanup.splice(0)) await cleanup();
  });
  afterAll(() => client.quit());
  /** Every key matching `pattern`: a whole SCAN walk, however many keys other users keep on the shared server. */
  async function scanAll(pattern: string): Promise<string[]> {
    const keys = new Set<string>();
    let cursor = '0';
    do {
      const [next, batch] = await client.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
      for (const key of batch) keys.add(key);
      cursor = next;
    } while (cursor !== '0');
    return [...keys];
  }
  function store(options: Partial<ConstructorParameters<typeof RedisSessionStore>[0]> = {}): RedisSessionStore {
    // scanCount 1000: length() and clear() walk the shared server's whole keyspace
    const created = new RedisSessionStore({ client, prefix: runPrefix('store'), scanCount: 1000, ...options });
    stores.push(created);
    return created;
  }

  describe('hash layout', () => {
    it('stores one field per top-level key, JSON-encoded, plus the empty marker field', async () => {
      const s = store();
      await s.set('hash-layout-1', { user: { id: 7 }, cart: ['tea'], n: 1 }, TTL);
      expect(await client.hgetall(`${s.prefix}hash-layout-1`)).toEqual({
        '': '1',
        user: '{"id":7}',
        cart: '["tea"]',
        n: '1',
      });
      await s.patch('hash-layout-1', { set: { n: 2 }, unset: ['cart'] }, TTL);
      expect(await client.hgetall(`${s.prefix}hash-layout-1`)).toEqual({ '': '1', user: '{"id":7}', n: '2' });
    });

    it('an empty session exists: set({}) and a patch that removes every key keep it, as {}', async () => {
      const s = store();
      await s.set('empty-session-1', {}, TTL);
      expect(await s.get('empty-session-1')).toEqual({});
      await s.set('empty-session-2', { a: 1 }, TTL);
      await s.patch('empty-session-2', { set: {}, unset: ['a'] }, TTL);
      expect(await s.get('empty-session-2')).toEqual({});
      expect(await s.length()).toBe(2);
      expect(await client.pttl(`${s.prefix}empty-session-2`)).toBeGreaterThan(55_000);
    });

    it('a key written as a JSON string (format json) read by a hash store is a SessionDecodeError naming format', async () => {
      const prefix = runPrefix('mixed');
      await store({ prefix, format: 'json' }).set('mixed-layout-1', { a: 1 }, TTL);
      const err = await rejection(store({ prefix }).get('mixed-layout-1'));
      expect(err.code).toBe('ERR_SESSION_DECODE');
      expect(err.message).toContain('format');
    });
  });

  describe('json layout (connect-redis compatible)', () => {
    const awkward = {
      emptyObject: {},
      emptyArray: [],
      nestedEmpty: { a: [], b: {}, c: [{}] },
      big: Number.MAX_SAFE_INTEGER,
      negative: -12345678901234.5,
      tiny: 1e-7,
      float: 0.30000000000000004,
      unicode: 'Zoë 🛒 日本語 \u2028',
      tricky: 'quotes " and \\ backslash, braces {[}] and commas, "nested":"json"',
      'key "with" quotes \\': true,
      ключ: null,
    };

    it('patch splices members: arrays, empty objects, big numbers, unicode and escapes round-trip byte for byte', async () => {
      const s = store({ format: 'json' });
      await s.set('json-splice-1', { ...awkward, drop: 1, replace: 'old' }, TTL);
      await s.patch('json-splice-1', { set: { replace: { now: [] }, added: [1, [2, {}]] }, unset: ['drop'] }, TTL);
      const expected = { ...awkward, replace: { now: [] }, added: [1, [2, {}]] };
      expect(await s.get('json-splice-1')).toEqual(expected);
      const raw = await client.get(`${s.prefix}json-splice-1`);
      expect(JSON.parse(raw!)).toEqual(expected);
      // untouched members keep their exact text
      for (const [name, value] of Object.entries(awkward))
        expect(raw).toContain(`${JSON.stringify(name)}:${JSON.stringify(value)}`);
    });

    it('patch reads stored JSON with whitespace and escaped member names', async () => {
      const s = store({ format: 'json' });
      await client.set(
        `${s.prefix}json-spaced-1`,
        ' { "a" : [ 1 , { "x" : "}" } ] ,\n "caf\\u00e9" : 1 , "k" : "v" } ',
        'PX',
        60_000,
      );
      await s.patch('json-spaced-1', { set: { k: 'w' }, unset: ['café'] }, TTL);
      expect(await s.get('json-spaced-1')).toEqual({ a: [1, { x: '}' }], k: 'w' });
    });

    it('patch of stored bytes that are not a JSON object: SessionDecodeError, stored bytes kept', async () => {
      const s = store({ format: 'json' });
      for (const [i, bad] of ['{not json', '[1,2]', '"text"', '{"a":1', '{"a":[1}'].entries()) {
        const key = `${s.prefix}json-bad-${i}-xxxx`;
        await client.set(key, bad, 'PX', 60_000);
        const err = await rejection(s.patch(`json-bad-${i}-xxxx`, { set: { b: 1 }, unset: [] }, TTL));
        expect(err.code, bad).toBe('ERR_SESSION_DECODE');
        expect(await client.get(key)).toBe(bad);
      }
    });

    it('a patch that would make the stored session exceed maxSessionBytes is refused, nothing written', async () => {
      const s = store({ format: 'json', maxSessionBytes: 2000 });
      await s.set('json-size-1', { a: 'x'.repeat(1200) }, TTL);
      const err = await rejection(s.patch('json-size-1', { set: { b: 'y'.repeat(1200) }, unset: [] }, TTL));
      expect(err.code).toBe('ERR_SESSION_TOO_LARGE');
      expect(await s.get('json-size-1')).toEqual({ a: 'x'.repeat(1200) });
    });
  });

  describe('key space', () => {
    it('a prefix with glob characters: SCAN matches only its own keys, clear() leaves decoys that the raw glob would match', async () => {
      const prefix = `sessionkit-test:glob-${Date.now()}:a*b?[c]\\:`;
      const s = store({ prefix });
      await s.set('glob-session-1', { a: 1 }, TTL);
      await s.set('glob-session-2', { a: 2 }, TTL);
      const base = prefix.slice(0, prefix.indexOf('a*b'));
      // each decoy matches the unescaped pattern `<prefix>*`
      const decoys = [`${base}aXXbYc:glob-session-1`, `${base}ab!c\\:decoy-session`, `${base}a-b-c:decoy`];
      for (const decoy of decoys) await client.set(decoy, 'keep me', 'PX', 60_000);
      try {
        const unescaped = await scanAll(`${prefix}*`);
        expect(unescaped.filter((k) => decoys.includes(k)).length).toBeGreaterThan(0); // the decoys are real decoys
        const escaped = await scanAll(keySpace(prefix).pattern);
        expect(escaped.sort()).toEqual([`${prefix}glob-session-1`, `${prefix}glob-session-2`]);
        const ids: string[] = [];
        for await (const sid of s.ids()) ids.push(sid);
        expect(ids.sort()).toEqual(['glob-session-1', 'glob-session-2']);
        await s.clear();
        expect(await s.length()).toBe(0);
        for (const decoy of decoys) expect(await client.get(decoy)).toBe('keep me');
      } finally {
        await client.del(...decoys);
      }
    });

    it('tombstones are not sessions: not listed, not counted, and they expire after tombstoneTtlMs', async () => {
      const s = store({ tombstoneTtlMs: 1500 });
      await s.set('tomb-session-1', { a: 1 }, TTL);
      await s.destroy('tomb-session-1');
      expect(await s.length()).toBe(0);
      const ttl = await client.pttl(`{${s.prefix}tomb-session-1}#destroyed`);
      expect(ttl).toBeGreaterThan(0);
      expect(ttl).toBeLessThanOrEqual(1500);
      await s.patch('tomb-session-1', { set: { late: true }, unset: [] }, TTL);
      expect(await s.get('tomb-session-1')).toBeNull();
      await sleep(1700);
      await s.patch('tomb-session-1', { set: { later: true }, unset: [] }, TTL);
      expect(await s.get('tomb-session-1')).toEqual({ later: true });
    });

    it.each([
      ['an empty prefix', { prefix: '' }],
      ['a prefix with braces that are no hash tag', { prefix: 'a}b:' }],
      ['a prefix with an opening brace only', { prefix: 'sess{:' }],
      ['a prefix without a trailing separator', { prefix: 'sess' }],
      ['a prefix ending in a letter', { prefix: 'sessions' }],
      ['a prefix with a control character', { prefix: 'sess\n:' }],
      ['a hash tag with braces', { hashTag: 'a{b}' }],
      ['a prefix with braces and a hash tag', { prefix: '{x}:', hashTag: 'y' }],
      ['an unknown format', { format: 'xml' as 'json' }],
      ['a scanCount of 0', { scanCount: 0 }],
      ['waitReplicas.count 0', { waitReplicas: { count: 0 } }],
      ['waitReplicas.timeoutMs at operationTimeoutMs', { waitReplicas: { count: 1, timeoutMs: 2000 } }],
    ])('refuses %s with StoreConfigError', (_, options) => {
      expect(() => new RedisSessionStore({ client, ...options })).toThrow(
        expect.objectContaining({ code: 'ERR_STORE_CONFIG' }),
      );
    });

    it('refuses a missing client and a client with ioredis keyPrefix', () => {
      expect(() => new RedisSessionStore({} as never)).toThrow(/needs \{ client \}/);
      const prefixed = new Redis(REDIS_URL, { lazyConnect: true, keyPrefix: 'x:' });
      expect(() => new RedisSessionStore({ client: prefixed })).toThrow(/keyPrefix/);
      prefixed.disconnect();
    });

    it('a prefix carrying its own hash tag keeps tombstones in that slot: <prefix><sid>\\0destroyed, never a session key', async () => {
      const s = store({ prefix: `{${runPrefix('tag')}}` });
      await s.set('own-tag-session', { a: 1 }, TTL);
      // a sid that is the old tombstone key's sid: a session of its own, untouched by the destroy
      await s.set('own-tag-session#destroyed', { other: true }, TTL);
      await s.destroy('own-tag-session');
      expect(await client.exists(`${s.prefix}own-tag-session\u0000destroyed`)).toBe(1);
      expect(await s.get('own-tag-session#destroyed')).toEqual({ other: true });
      expect(await s.length()).toBe(1);
      const ids: string[] = [];
      for await (const id of s.ids()) ids.push(id);
      expect(ids).toEqual(['own-tag-session#destroyed']);
    });

    it("every tombstone shares its session key's Cluster slot, whatever braces the sid holds", () => {
      const sids = [
        'plain',
        '{tag}x',
        'x{tag}',
        '{}x',
        'a}b',
        '}{',
        '{a',
        'b}',
        '{{a}}',
        '{}{a}',
        'ünï}{',
        '}'.repeat(256),
      ];
      for (const prefix of ['sess:', '{app}:', 'x{app}y:']) {
        const keys = keySpace(prefix);
        for (const sid of sids) {
          const [session, tombstone] = [keys.session(sid), keys.tombstone(sid)];
          expect(slotOf(tombstone), `${prefix} ${sid}`).toBe(slotOf(session));
          expect(keys.sidOf(tombstone), `tombstone of ${prefix}${sid} read as a sid`).toBeNull();
        }
      }
      // cluster.test.ts checks slotOf against CLUSTER KEYSLOT and runs these sids on a real Cluster
    });
  });

  describe('prefixes side by side', () => {
    it('a prefix without a trailing separator is refused; `sess:` and `session:` on one database never see each other', async () => {
      const base = runPrefix('overlap');
      expect(() => new RedisSessionStore({ client, prefix: `${base}sess` })).toThrow(
        expect.objectContaining({ code: 'ERR_STORE_CONFIG', message: expect.stringContaining('separator') }),
      );
      const sess = store({ prefix: `${base}sess:` });
      const session = store({ prefix: `${base}session:` });
      await sess.set('mine-1', { owner: 'sess' }, TTL);
      await session.set('victim-1', { owner: 'session' }, TTL);
      await session.set('victim-2', { owner: 'session' }, TTL);
      const listed: string[] = [];
      for await (const sid of sess.ids()) listed.push(sid);
      expect(listed).toEqual(['mine-1']);
      expect(await sess.length()).toBe(1);
      expect(await sess.get('ion:victim-1')).toBeNull();
      await sess.clear();
      expect(await session.length()).toBe(2);
      expect(await session.get('victim-1')).toEqual({ owner: 'session' });
      expect(await sess.length()).toBe(0);
    });

    it.each([':', '/', '|', '.', '-', '_', '#'])('a prefix ending in %s is accepted', (separator) => {
      expect(store({ prefix: `${runPrefix('sep')}x${separator}` }).prefix.endsWith(separator)).toBe(true);
    });

    it("prefix plus hashTag ends with the tag's closing brace, which separates", () => {
      expect(() => store({ prefix: 'sess', hashTag: 'app' })).not.toThrow();
    });
  });

  describe('hand-written hash fields', () => {
    it('fields named __proto__, constructor and prototype are never read as session keys', async () => {
      const s = store();
      await s.set('handwritten-1', { ok: 1 }, TTL);
      await client.hset(
        `${s.prefix}handwritten-1`,
        'constructor',
        '{"prototype":{"polluted":"yes"}}',
        'prototype',
        '{"polluted":"yes"}',
        '__proto__',
        '{"polluted":"yes"}',
      );
      const data = (await s.get('handwritten-1'))!;
      expect(Object.keys(data)).toEqual(['ok']);
      expect(Object.hasOwn(data, 'constructor')).toBe(false);
      expect(Object.getPrototypeOf(data)).toBe(Object.prototype);
      expect(data.constructor).toBe(Object);
      expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
      // the session still saves: the skipped fields are not part of what a change is diffed against
      await s.patch('handwritten-1', { set: { ok: 2 }, unset: [] }, TTL);
      expect(await s.get('handwritten-1')).toEqual({ ok: 2 });
    });
  });

  describe('maxSessionBytes counts the whole stored session', () => {
    // keys whose JSON form is longer than the key: quotes, backslashes, \n, other control
    // characters, and multi-byte UTF-8; and DEL, which JSON leaves as it is
    const awkward = {
      'del\u007f': 0,
      'quote"d': 1,
      'back\\slash': [1, 2],
      'new\nline': 'x',
      'ctl\u0001\u001f': 'é',
      'ünï🍵': { a: '€' },
    };

    it.each(['hash', 'json'] as const)(
      'format %s: a patch up to exactly the limit is stored, one byte more is refused and writes nothing',
      async (format) => {
        const fill = (n: number) => 'f'.repeat(n);
        const exact = Buffer.byteLength(JSON.stringify({ ...awkward, last: fill(100) }));
        const s = store({ format, maxSessionBytes: exact });
        await s.set('exact-size-1', { ...awkward, last: fill(10) }, TTL);
        await s.patch('exact-size-1', { set: { last: fill(100) }, unset: [] }, TTL);
        const stored = (await s.get('exact-size-1'))!;
        expect(Buffer.byteLength(JSON.stringify(stored))).toBe(exact);
        const over = await rejection(s.patch('exact-size-1', { set: { last: fill(101) }, unset: [] }, TTL));
        expect(over).toMatchObject({ code: 'ERR_SESSION_TOO_LARGE', bytes: exact + 1, maxBytes: exact });
        // a new key adds its name, a colon and a comma
        const added = await rejection(s.patch('exact-size-1', { set: { n: 1 }, unset: [] }, TTL));
        expect(added).toMatchObject({ code: 'ERR_SESSION_TOO_LARGE', bytes: exact + '"n":1,'.length });
        expect(await s.get('exact-size-1')).toEqual(stored);
        // removing a key in the same patch makes room
        await s.patch('exact-size-1', { set: { n: 1 }, unset: ['new\nline'] }, TTL);
        expect(Object.keys((await s.get('exact-size-1'))!)).not.toContain('new\nline');
      },
    );

    it('format hash: of three 700 KiB patches under a 1 MiB limit only the first is stored (each alone fits)', async () => {
      const s = store({ maxSessionBytes: 1024 * 1024 });
      const chunk = 'x'.repeat(700 * 1024);
      await s.patch('three-patches', { set: { a: chunk }, unset: [] }, TTL);
      expect((await rejection(s.patch('three-patches', { set: { b: chunk }, unset: [] }, TTL))).code).toBe(
        'ERR_SESSION_TOO_LARGE',
      );
      expect(Object.keys((await s.get('three-patches'))!)).toEqual(['a']);
      await s.patch('three-patches', { set: { b: 'small' }, unset: [] }, TTL);
      expect((await rejection(s.patch('three-patches', { set: { c: chunk }, unset: [] }, TTL))).code).toBe(
        'ERR_SESSION_TOO_LARGE',
      );
      expect(await client.hstrlen(`${s.prefix}three-patches`, 'a')).toBe(700 * 1024 + 2);
    });
  });

  describe('waitReplicas', () => {
    it.each(CLIENT_KINDS)(
      '%s client: with fewer replicas than asked, the write is applied and the call rejects with ReplicationError',
      async (kind) => {
        const handed = kind === 'ioredis' ? undefined : await standaloneClient(kind, REDIS_URL);
        if (handed) afterCleanup.push(() => handed.close());
        const s = store({ waitReplicas: { count: 1, timeoutMs: 100 }, ...(handed ? { client: handed.client } : {}) });
        const err = await rejection(s.set('wait-session-1', { a: 1 }, TTL));
        expect(err).toBeInstanceOf(ReplicationError);
        expect(err).toBeInstanceOf(SessionStoreError);
        expect(err).toMatchObject({ code: 'ERR_REPLICATION', acknowledged: 0, required: 1 });
        expect(await s.get('wait-session-1')).toEqual({ a: 1 });
        expect((await rejection(s.patch('wait-session-1', { set: { b: 2 }, unset: [] }, TTL))).code).toBe(
          'ERR_REPLICATION',
        );
        expect((await rejection(s.destroy('wait-session-1'))).code).toBe('ERR_REPLICATION');
        expect(await s.get('wait-session-1')).toBeNull();
      },
    );
  });

  describe('client ownership and events', () => {
    it('close() leaves a client handed in open', async () => {
      const own = new Redis(REDIS_URL);
      const s = new RedisSessionStore({ client: own, prefix: runPrefix('own') });
      await s.get('ownership-check');
      await s.close();
      expect(await own.ping()).toBe('PONG');
      await own.quit();
    });

    it('emits connect once the client is ready', async () => {
      const s = RedisSessionStore.fromUrl(REDIS_URL, { prefix: runPrefix('events') });
      stores.push(s);
      const events: string[] = [];
      s.on('connect', () => events.push('connect'));
      await s.get('events-session');
      expect(events).toEqual(['connect']);
    });

    it.each(CLIENT_KINDS)(
      'createStore(redis://…?prefix=…&format=json), %s client: a store with its own client, quit on close()',
      async (kind) => {
        const prefix = runPrefix('url');
        const url = new URL(withClient(REDIS_URL, kind));
        url.searchParams.set('prefix', prefix);
        url.searchParams.set('format', 'json');
        const s = createStore(url.href) as RedisSessionStore;
        expect(s).toBeInstanceOf(RedisSessionStore);
        expect(s.format).toBe('json');
        expect(clientKind(s.client)).toBe(kind);
        await s.set('url-session-1', { a: 1 }, TTL);
        expect(await client.get(`${prefix}url-session-1`)).toBe('{"a":1}');
        await s.clear();
        const own = s.client;
        await s.close();
        expect(isClosed(own)).toBe(true);
      },
    );

    it('an ioredis client the store created and ioredis ended on its own is connected again; close() ends it for good', async () => {
      const s = RedisSessionStore.fromUrl(REDIS_URL, { prefix: runPrefix('revive'), operationTimeoutMs: 30_000 });
      try {
        await s.set('revived', { a: 1 }, TTL);
        const own = s.client as Redis;
        const ended = new Promise((resolve) => own.once('end', resolve));
        // What ioredis does by itself when a Sentinel failover races its reconnection: status 'end'.
        own.disconnect();
        await ended;
        const readable = async () => (await s.get('revived').catch(() => null)) !== null;
        expect(await eventually(readable, 30_000, 100)).toBe(true);
        await s.clear();
      } finally {
        await s.close();
      }
      await sleep(3000); // longer than the revival backoff (at most 2.4 s)
      expect((s.client as Redis).status).toBe('end');
    });

    it('close() leaves a node-redis client handed in open; the store emits connect for it', async () => {
      const own = await standaloneClient('node-redis', REDIS_URL);
      try {
        const s = new RedisSessionStore({ client: own.client, prefix: runPrefix('own-node-redis') });
        const events: string[] = [];
        s.on('connect', () => events.push('connect'));
        await s.set('ownership-check', { a: 1 }, TTL);
        expect(await s.get('ownership-check')).toEqual({ a: 1 });
        await s.clear();
        await s.close();
        expect(events).toEqual(['connect']);
        expect(await command(own.client, ['PING'])).toBe('PONG');
      } finally {
        await own.close();
      }
    });

    it('a node-redis client handed in before it is connected: calls wait for its owner to connect it', async () => {
      const own = createClient({ url: REDIS_URL });
      own.on('error', () => {});
      const s = new RedisSessionStore({
        client: own,
        prefix: runPrefix('later-node-redis'),
        operationTimeoutMs: 30_000,
      });
      try {
        const pending = s.set('connected-later', { a: 1 }, TTL);
        await sleep(50);
        expect(s.waitingForConnection).toBe(1);
        await own.connect();
        await pending;
        expect(await s.get('connected-later')).toEqual({ a: 1 });
        expect(s.waitingForConnection).toBe(0);
        await s.clear();
      } finally {
        await s.close();
        await own.close();
      }
    });
  });
});

describe('Redis store URLs', () => {
  it('names an unknown or repeated parameter without quoting the password', () => {
    for (const url of ['redis://u:S3cr3tPW@127.0.0.1?prefx=a', 'redis://u:S3cr3tPW@127.0.0.1?prefix=a&prefix=b']) {
      const err = (() => {
        try {
          RedisSessionStore.fromUrl(url);
        } catch (caught) {
          return caught as Error;
        }
      })();
      expect(err?.message).toMatch(/prefi?x/);
      expect(err?.message).not.toContain('S3cr3tPW');
    }
  });

  it.each([
    ['mysql://x', /Not a Redis store URL/],
    ['redis+sentinel://127.0.0.1:26379', /names no Sentinel master/],
    ['redis://a:1,b:2', /several hosts/],
    ['redis://127.0.0.1:6379/notanumber', /Bad database number/],
  ])('%s is refused with StoreConfigError', (url, message) => {
    expect(() => RedisSessionStore.fromUrl(url)).toThrow(message);
  });

  it.each([
    ['redis://127.0.0.1?client=redis', /client="redis" .*client=ioredis, client=node-redis/],
    ['redis://127.0.0.1?client=', /client="" .*client=ioredis, client=node-redis/],
    ['redis+cluster://127.0.0.1:7000/2?client=node-redis', /only database 0/],
    ['redis://127.0.0.1?nearCahce=1', /unknown parameter "nearCahce" \(did you mean "nearCache"\?\)/],
    ['redis://u:S3cr3tPW@127.0.0.1?prefix=a&prefix=b', /prefix/],
  ])('%s is refused with StoreConfigError', (url, message) => {
    expect(() => RedisSessionStore.fromUrl(url)).toThrow(
      expect.objectContaining({ code: 'ERR_STORE_CONFIG', message: expect.stringMatching(message) }),
    );
  });

  it('refuses an object that is no client of either library, and a node-redis client pool', async () => {
    expect(() => new RedisSessionStore({ client: { get() {} } as never })).toThrow(
      /ioredis Redis or Cluster, or a node-redis v5 client/,
    );
    const pool = createClientPool({ url: REDIS_URL });
    expect(() => new RedisSessionStore({ client: pool as never })).toThrow(/pool is not supported/);
  });

  it('client=node-redis URLs build node-redis clients of the matching kind, not yet connected', async () => {
    const standalone = RedisSessionStore.fromUrl('redis://u:p@10.0.0.1:6380/3?client=node-redis');
    const client = standalone.client as ReturnType<typeof createClient>;
    expect(clientKind(client)).toBe('node-redis');
    expect(client.isOpen).toBe(false);
    expect(client.options).toMatchObject({
      username: 'u',
      password: 'p',
      database: 3,
      disableOfflineQueue: true,
      socket: { host: '10.0.0.1', port: 6380 },
    });
    await standalone.close();
    const tls = RedisSessionStore.fromUrl('rediss://h.example:6390?client=node-redis').client as ReturnType<
      typeof createClient
    >;
    expect(tls.options?.socket).toMatchObject({ host: 'h.example', port: 6390, tls: true });
    const sentinel = RedisSessionStore.fromUrl(
      'redis+sentinel://:secret@10.0.0.1:26379,10.0.0.2/mymaster?client=node-redis&sentinelPassword=s2',
    );
    expect(typeof (sentinel.client as unknown as Record<string, unknown>)['acquire']).toBe('function');
    expect(isClosed(sentinel.client)).toBe(true);
    await sentinel.close();
    const cluster = RedisSessionStore.fromUrl(
      'redis+cluster://u:p@10.0.0.1:7000,[::1]:7001?client=node-redis&hashTag=t',
    );
    expect(typeof (cluster.client as unknown as Record<string, unknown>)['nodeClient']).toBe('function');
    expect(isClosed(cluster.client)).toBe(true);
    await cluster.close();
  });

  it('sentinel and cluster URLs with several hosts build ioredis clients (connecting lazily)', async () => {
    const sentinel = RedisSessionStore.fromUrl(
      'redis+sentinel://:secret@10.0.0.1:26379,10.0.0.2/mymaster?sentinelPassword=s2&prefix=app:',
    );
    const options = (sentinel.client as Redis).options as unknown as Record<string, unknown>;
    expect(options).toMatchObject({
      sentinels: [
        { host: '10.0.0.1', port: 26379 },
        { host: '10.0.0.2', port: 26379 },
      ],
      name: 'mymaster',
      password: 'secret',
      sentinelPassword: 's2',
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
    });
    expect(sentinel.prefix).toBe('app:');
    expect((sentinel.client as Redis).status).toBe('wait');
    await sentinel.close();
    const cluster = RedisSessionStore.fromUrl('redis+cluster://u:p@10.0.0.1:7000,[::1]:7001?hashTag=t');
    expect((cluster.client as Redis).isCluster).toBe(true);
    expect(
      ((cluster.client as Redis).options as unknown as { redisOptions: Record<string, unknown> }).redisOptions,
    ).toMatchObject({ username: 'u', password: 'p' });
    await cluster.close();
  });
});
