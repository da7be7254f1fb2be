import { isConnectionError, toStoreError } from '@sessionkit/core';
import { engineAvailable, eventually, rejection } from '@sessionkit/test-suite';
import {
  ClientClosedError,
  ClientOfflineError,
  CommandTimeoutDuringMaintenanceError,
  ConnectionTimeoutError,
  DisconnectsClientError,
  ErrorReply,
  ReconnectStrategyError,
  RootNodesUnavailableError,
  SimpleError,
  SocketClosedUnexpectedlyError,
  SocketTimeoutError,
  TimeoutError,
} from 'redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisSessionStore } from '../src/index.js';
import { CLIENT_KINDS, withClient } from './support/clients.js';
import { RedisServer, redisServerBinary } from './support/servers.js';

const available = await engineAvailable(
  'redis-server binary',
  redisServerBinary,
  'install Redis (apt-get install redis-server)',
);
const TTL = { ttlMs: 60_000 };

describe("node-redis' errors: a lost, closed or timed-out connection is unavailable, a reply error is not", () => {
  it.each([
    ['ClientClosedError', new ClientClosedError()],
    ['ClientOfflineError', new ClientOfflineError()],
    ['SocketClosedUnexpectedlyError', new SocketClosedUnexpectedlyError()],
    ['ConnectionTimeoutError', new ConnectionTimeoutError()],
    ['SocketTimeoutError', new SocketTimeoutError(2000)],
    ['TimeoutError (a command timeout, no message)', new TimeoutError()],
    ['CommandTimeoutDuringMaintenanceError', new CommandTimeoutDuringMaintenanceError(2000)],
    ['DisconnectsClientError', new DisconnectsClientError()],
    ['RootNodesUnavailableError', new RootNodesUnavailableError()],
    ['ReconnectStrategyError', new ReconnectStrategyError(new Error('gave up'), new SocketClosedUnexpectedlyError())],
    ["a Sentinel's 'None of the sentinels are available'", new Error('None of the sentinels are available')],
  ])('%s', (_, err) => {
    expect(isConnectionError(err)).toBe(true);
    expect(toStoreError(err, 'redis get').name).toBe('StoreUnavailableError');
  });

  it.each([
    ['WRONGTYPE', new SimpleError('WRONGTYPE Operation against a key holding the wrong kind of value')],
    ['OOM', new SimpleError("OOM command not allowed when used memory > 'maxmemory'.")],
    ['a script error', new ErrorReply('ERR user_script:1: Script attempted to access nonexistent global variable')],
    ['NOPERM', new SimpleError('NOPERM User has no permissions to run the command')],
  ])('%s reply is not a connection error', (_, err) => {
    expect(isConnectionError(err)).toBe(false);
  });
});

/** How each kind of Redis error reaches the caller, on a test-owned server (these tests block or fill it). */
describe.skipIf(!available).each(CLIENT_KINDS)(
  'Redis errors by kind on the %s client: only an unusable server is "unavailable", and no error is a disconnect',
  (kind) => {
    let server: RedisServer;
    beforeAll(async () => {
      server = await RedisServer.start();
    });
    afterAll(() => server?.destroy());

    it('OOM (maxmemory reached): writes fail with StoreOperationError, reads go on, no disconnect', async () => {
      const store = RedisSessionStore.fromUrl(withClient(server.url, kind), { prefix: `oom-${kind}:` });
      const admin = server.client();
      const events: string[] = [];
      store.on('disconnect', () => events.push('disconnect'));
      try {
        await store.set('before-oom', { ok: true }, TTL);
        await admin.config('SET', 'maxmemory', '1');
        await admin.config('SET', 'maxmemory-policy', 'noeviction');
        const err = await rejection(store.patch('before-oom', { set: { more: 'x'.repeat(1000) }, unset: [] }, TTL));
        expect(err).toMatchObject({ code: 'ERR_STORE_OPERATION' });
        expect(err.message).toMatch(/OOM/);
        expect(await store.get('before-oom')).toEqual({ ok: true });
        expect(events).toEqual([]);
      } finally {
        await admin.config('SET', 'maxmemory', '0');
        admin.disconnect();
        await store.close();
      }
    });

    it('NOSCRIPT (the script cache was flushed): writes are sent again as EVAL and succeed, also with WAIT behind them', async () => {
      const store = RedisSessionStore.fromUrl(withClient(server.url, kind), { prefix: `noscript-${kind}:` });
      const waiting = RedisSessionStore.fromUrl(withClient(server.url, kind), {
        prefix: `noscript-wait-${kind}:`,
        waitReplicas: { count: 1, timeoutMs: 50 },
      });
      const admin = server.client();
      try {
        await store.set('noscript-session', { a: 1 }, TTL);
        await admin.script('FLUSH');
        await store.patch('noscript-session', { set: { b: 2 }, unset: [] }, TTL);
        expect(await store.get('noscript-session')).toEqual({ a: 1, b: 2 });
        await admin.script('FLUSH');
        // no replica acknowledges: the write is applied, and WAIT's answer (0) is the caller's error
        expect(await rejection(waiting.set('noscript-wait', { w: 1 }, TTL))).toMatchObject({
          code: 'ERR_REPLICATION',
          acknowledged: 0,
        });
        expect(await waiting.get('noscript-wait')).toEqual({ w: 1 });
        await admin.script('FLUSH');
        await store.destroy('noscript-session');
        expect(await store.get('noscript-session')).toBeNull();
      } finally {
        admin.disconnect();
        await store.close();
        await waiting.close();
      }
    });

    it('BUSY (another client runs a long script): StoreUnavailableError while it runs, no disconnect, fine after', async () => {
      const store = RedisSessionStore.fromUrl(withClient(server.url, kind), {
        prefix: `busy-${kind}:`,
        operationTimeoutMs: 5000,
      });
      const admin = server.client();
      const blocker = server.client();
      const events: string[] = [];
      store.on('disconnect', () => events.push('disconnect'));
      try {
        await store.set('busy-session', { ok: true }, TTL);
        await admin.config('SET', 'busy-reply-threshold', '50');
        const blocking = blocker.eval('while true do end', 0).catch((err: Error) => err);
        const busy = await eventually(
          async () => (await rejection(store.get('busy-session'))).code === 'ERR_STORE_UNAVAILABLE',
          10_000,
          20,
        );
        expect(busy).toBe(true);
        expect((await rejection(store.get('busy-session'))).message).toMatch(/BUSY/);
        await admin.call('SCRIPT', 'KILL');
        await blocking;
        expect(await store.get('busy-session')).toEqual({ ok: true });
        expect(events).toEqual([]);
      } finally {
        await admin.call('SCRIPT', 'KILL').catch(() => {});
        admin.disconnect();
        blocker.disconnect();
        await store.close();
      }
    });
  },
);
