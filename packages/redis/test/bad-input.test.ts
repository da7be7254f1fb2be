import { engineAvailable, rejection } from '@sessionkit/test-suite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisSessionStore } from '../src/index.js';
import { CLIENT_KINDS, withClient } from './support/clients.js';
import { recordCommands, RedisServer, redisServerBinary } from './support/servers.js';

const available = await engineAvailable(
  'redis-server binary',
  redisServerBinary,
  'install Redis (apt-get install redis-server)',
);

// Refused under express-session's genid contract: empty, over 256, control characters, lone surrogates, not a string.
const BAD_SIDS: unknown[] = [
  '',
  'a'.repeat(257),
  'new\nline-1234',
  'nul\u0000byte',
  'c1\u0085control',
  'lone\ud800surrogate',
  null,
  42,
  {},
];

// Valid, and each would confuse a store that built a SCAN pattern or a key tag out of a sid.
const ODD_SIDS = [
  '*',
  '?',
  '[a-z]*',
  '\\*',
  'sess*glob?[chars]',
  '{hashtag}',
  'a}b',
  '{}x',
  '}{',
  '%',
  '/foo',
  'has spaces',
  'ünïcode 🍵',
];

describe.skipIf(!available).each(CLIENT_KINDS)(
  'bad input on a test-owned redis-server, watched with MONITOR (%s client)',
  (kind) => {
    let server: RedisServer;
    let store: RedisSessionStore;
    const url = () => withClient(server.url, kind);
    beforeAll(async () => {
      server = await RedisServer.start();
      store = RedisSessionStore.fromUrl(url());
      await store.get('warm-up-the-connection');
    });
    afterAll(async () => {
      await store?.close();
      await server?.destroy();
    });

    it.each(['hash', 'json'] as const)(
      'invalid sids and unencodable data never reach Redis (format %s)',
      async (format) => {
        const s = RedisSessionStore.fromUrl(url(), { format, maxSessionBytes: 1000 });
        await s.get('warm-up-the-connection');
        try {
          const cyclic: Record<string, unknown> = {};
          cyclic['self'] = cyclic;
          const commands = await recordCommands(server, async () => {
            for (const sid of BAD_SIDS as string[]) {
              for (const call of [
                s.get(sid),
                s.set(sid, { a: 1 }, { ttlMs: 60_000 }),
                s.patch(sid, { set: { a: 1 }, unset: [] }, { ttlMs: 60_000 }),
                s.touch(sid, { ttlMs: 60_000 }),
                s.destroy(sid),
              ]) {
                expect((await rejection(call)).code).toBe('ERR_SESSION_ID_INVALID');
              }
            }
            const valid = 'valid-session-id';
            expect((await rejection(s.set(valid, cyclic, { ttlMs: 60_000 }))).code).toBe('ERR_SESSION_ENCODE');
            expect((await rejection(s.patch(valid, { set: { n: 1n }, unset: [] }, { ttlMs: 60_000 }))).code).toBe(
              'ERR_SESSION_ENCODE',
            );
            expect((await rejection(s.set(valid, { big: 'x'.repeat(2000) }, { ttlMs: 60_000 }))).code).toBe(
              'ERR_SESSION_TOO_LARGE',
            );
            expect(
              (await rejection(s.patch(valid, { set: { constructor: 1 }, unset: [] }, { ttlMs: 60_000 }))).code,
            ).toBe('ERR_SESSION_ENCODE');
          });
          expect(commands).toEqual([]);
          // control: the recording does see this store's commands
          const control = await recordCommands(server, async () => void (await s.get('control-session-id')));
          expect(control).toEqual([[format === 'hash' ? 'hgetall' : 'get', 'sess:control-session-id']]);
        } finally {
          await s.close();
        }
      },
    );

    it.each(['hash', 'json'] as const)(
      'odd sids reach Redis only inside their own keys, never in a SCAN pattern (format %s)',
      async (format) => {
        const s = RedisSessionStore.fromUrl(url(), { format, prefix: `odd-${format}:` });
        await s.get('warm-up-the-connection');
        // and the scripts: a server that does not know one yet answers node-redis' first EVALSHA with
        // NOSCRIPT, and the call is sent again as EVAL (ioredis sends EVAL first on each connection)
        await s.set('warm-up-the-scripts', { a: 1 }, { ttlMs: 60_000 });
        await s.patch('warm-up-the-scripts', { set: { b: 1 }, unset: [] }, { ttlMs: 60_000 });
        await s.destroy('warm-up-the-scripts');
        try {
          const commands = await recordCommands(server, async () => {
            for (const sid of ODD_SIDS) {
              await s.set(sid, { sid }, { ttlMs: 60_000 });
              await s.patch(sid, { set: { patched: true }, unset: [] }, { ttlMs: 60_000 });
              expect(await s.get(sid)).toEqual({ sid, patched: true });
            }
            const ids: string[] = [];
            for await (const id of s.ids()) ids.push(id);
            expect(ids.sort()).toEqual([...ODD_SIDS].sort());
            for (const sid of ODD_SIDS) await s.destroy(sid);
            expect(await s.length()).toBe(0);
          });
          const scans = commands.filter(([name]) => name === 'scan');
          expect(scans.length).toBeGreaterThan(0);
          for (const scan of scans) expect(scan[scan.indexOf('MATCH') + 1]).toBe(`odd-${format}:*`);
          // every script names a key under this store's prefix (MONITOR shows arguments escaped, so
          // the sid part is not compared byte for byte here; the round trips above check it)
          const scripts = commands.filter(([name]) => name === 'evalsha' || name === 'eval');
          expect(scripts.length).toBe(ODD_SIDS.length * 3);
          for (const command of scripts)
            expect(command[3]!.startsWith(`odd-${format}:`), JSON.stringify(command.slice(0, 5))).toBe(true);
        } finally {
          await s.close();
        }
      },
    );

    it('a hash field holding garbage gives SessionDecodeError naming the sid; the process and other sessions are fine', async () => {
      const inspect = server.client();
      try {
        await store.set('garbage-field-1', { a: 1, b: 2 }, { ttlMs: 60_000 });
        await store.set('healthy-session', { ok: true }, { ttlMs: 60_000 });
        await inspect.hset('sess:garbage-field-1', 'b', '{"unterminated');
        const err = await rejection(store.get('garbage-field-1'));
        expect(err).toMatchObject({ name: 'SessionDecodeError', code: 'ERR_SESSION_DECODE', sid: 'garbage-field-1' });
        expect(await store.get('healthy-session')).toEqual({ ok: true });
        // a patch that replaces the broken field repairs the session
        await store.patch('garbage-field-1', { set: { b: 3 }, unset: [] }, { ttlMs: 60_000 });
        expect(await store.get('garbage-field-1')).toEqual({ a: 1, b: 3 });
      } finally {
        inspect.disconnect();
      }
    });
  },
);
