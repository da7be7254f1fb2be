import { inspect } from 'node:util';
import { createStore } from '@sessionkit/core';
import { engineAvailable, sparePort } from '@sessionkit/test-suite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import '../src/index.js';
import { CLIENT_KINDS, withClient } from './support/clients.js';
import { RedisServer, redisServerBinary } from './support/servers.js';

const available = await engineAvailable(
  'redis-server binary',
  redisServerBinary,
  'install Redis (apt-get install redis-server)',
);
const SECRET = /S3cr|3tPW|etPW|tPW/;

/** Everything a user could see of a store created from `url`: the creation error, call errors with their causes, and `error` events. */
async function everythingShown(url: string): Promise<string[]> {
  const shown: string[] = [];
  let store;
  try {
    store = createStore(url, { operationTimeoutMs: 400 });
  } catch (err) {
    return [inspect(err, { depth: 5 })];
  }
  store.on('error', (err) => shown.push(inspect(err, { depth: 5 })));
  for (const call of [store.get('some-session'), store.set('some-session', { a: 1 }, { ttlMs: 1000 })]) {
    await call.catch((err: unknown) => shown.push(inspect(err, { depth: 5 })));
  }
  await store.close();
  return shown;
}

describe.skipIf(!available).each(CLIENT_KINDS)(
  'no message, cause or event of the Redis store on %s quotes a URL password',
  (kind) => {
    let server: RedisServer;
    let closed: number;
    beforeAll(async () => {
      server = await RedisServer.start();
      const admin = server.client();
      await admin.config('SET', 'requirepass', 'the-right-one');
      admin.disconnect();
      closed = await sparePort();
    });
    afterAll(() => server?.destroy());

    it.each([
      ['an invalid port', () => 'redis://u:S3cr3tPW@127.0.0.1:99999'],
      ['an unencoded / in the password', () => `redis://u:S3cr/etPW@127.0.0.1:${closed}`],
      ['an unencoded @ in the password', () => `redis://u:S3cr@tPW@127.0.0.1:${closed}`],
      ['an unencoded ? in the password', () => `redis://u:S3cr?tPW@127.0.0.1:${closed}`],
      ['an unencoded # in the password', () => `redis://u:S3cr#tPW@127.0.0.1:${closed}`],
      ['a password that reads as a database', () => `redis://u:12/S3cr3tPW@127.0.0.1:${closed}`],
      ['a malformed %-escape', () => `redis://u:S3cr%zz3tPW@127.0.0.1:${closed}`],
      ['a closed port', () => `redis://:S3cr3tPW@127.0.0.1:${closed}`],
      ['a host that does not resolve', () => 'redis://:S3cr3tPW@no-such-host.invalid:6379'],
      [
        'a Sentinel URL with both passwords',
        () => `redis+sentinel://:S3cr3tPW@127.0.0.1:${closed}/mymaster?sentinelPassword=S3cr3tPW`,
      ],
      ['a Cluster URL', () => `redis+cluster://u:S3cr3tPW@127.0.0.1:${closed}`],
      ['a wrong password on a live server', () => `redis://:S3cr3tPW@127.0.0.1:${server.port}`],
      ['a wrong user and password on a live server', () => `redis://someone:S3cr3tPW@127.0.0.1:${server.port}`],
    ])('%s', async (_, url) => {
      const shown = await everythingShown(withClient(url(), kind));
      expect(shown.length).toBeGreaterThan(0);
      for (const text of shown) expect(text).not.toMatch(SECRET);
    });

    it('control: the right password connects', async () => {
      const store = createStore(withClient(`redis://:the-right-one@127.0.0.1:${server.port}?prefix=pw-control:`, kind));
      await store.set('pw-control', { ok: true }, { ttlMs: 1000 });
      expect(await store.get('pw-control')).toEqual({ ok: true });
      await store.close();
    });
  },
);
