import { engineAvailable, runConformanceSuite } from '@sessionkit/test-suite';
import { Redis } from 'ioredis';
import { afterAll, describe, it } from 'vitest';
import { RedisSessionStore } from '../src/index.js';
import { pingShared, REDIS_URL, redisProbe, runPrefix } from './support/probe.js';

const available = await engineAvailable('Redis', pingShared, `start redis-server on 127.0.0.1:6379 or set REDIS_URL`);

describe.skipIf(!available).each(['hash', 'json'] as const)('conformance on standalone Redis, format %s', (format) => {
  const client = new Redis(REDIS_URL, { lazyConnect: true });
  afterAll(() => client.quit());
  let prefix = '';
  runConformanceSuite({
    it,
    // The shared server holds whatever other test runs keep there; ids(), length() and clear() walk
    // the whole keyspace with SCAN, so a larger COUNT keeps the walk short however much that is.
    createStore: (options) => new RedisSessionStore({ ...options, client, format, scanCount: 1000, prefix: (prefix = runPrefix(format)) }),
    // another app instance: its own connection, the same prefix
    createPeer: (store, options) => {
      const peer = new Redis(REDIS_URL, { lazyConnect: true });
      const other = new RedisSessionStore({ ...options, client: peer, format, scanCount: 1000, prefix: (store as RedisSessionStore).prefix });
      const close = other.close.bind(other);
      other.close = async () => {
        await close();
        await peer.quit();
      };
      return other;
    },
    probe: redisProbe(() => client, () => prefix, format),
    // 'expired' comes from keyspace notifications (events: true), which this shared server is not
    // asked to enable (CONFIG SET): events.test.ts runs the group on servers of its own.
    events: { created: true, destroyed: true, expired: 'needs events: true and notify-keyspace-events; see events.test.ts' },
    skip: { outage: 'runs against a test-owned redis-server in outage.test.ts' },
  });
});
