import { redisAvailable, runConformanceSuite } from '@sessionkit/test-suite';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { RedisSessionStore } from '../src/index.js';
import { CLIENT_KINDS, standaloneClient, type TestClient } from './support/clients.js';
import { REDIS_URL, redisProbe, runPrefix } from './support/probe.js';

const available = await redisAvailable();
const CASES = CLIENT_KINDS.flatMap((kind) => (['hash', 'json'] as const).map((format) => [kind, format] as const));

describe.skipIf(!available).each(CASES)('conformance on standalone Redis, %s client, format %s', (kind, format) => {
  // the store gets a client of this kind; the probe inspects the raw keys through its own
  const inspect = new Redis(REDIS_URL, { lazyConnect: true });
  let handed: TestClient;
  beforeAll(async () => {
    handed = await standaloneClient(kind, REDIS_URL);
  });
  afterAll(async () => {
    await handed?.close();
    await inspect.quit();
  });
  let prefix = '';
  runConformanceSuite({
    it,
    // The shared server holds whatever other test runs keep there; ids(), length() and clear() walk
    // the whole keyspace with SCAN, so a larger COUNT keeps the walk short however much that is.
    createStore: (options) =>
      new RedisSessionStore({
        ...options,
        client: handed.client,
        format,
        scanCount: 1000,
        prefix: (prefix = runPrefix(`${kind}-${format}`)),
      }),
    // another app instance: a client of its own, the same prefix
    createPeer: async (store, options) => {
      const peer = await standaloneClient(kind, REDIS_URL);
      const other = new RedisSessionStore({
        ...options,
        client: peer.client,
        format,
        scanCount: 1000,
        prefix: (store as RedisSessionStore).prefix,
      });
      const close = other.close.bind(other);
      other.close = async () => {
        await close();
        await peer.close();
      };
      return other;
    },
    probe: redisProbe(
      () => inspect,
      () => prefix,
      format,
    ),
    // 'expired' comes from keyspace notifications (events: true), which this shared server is not
    // asked to enable (CONFIG SET): events.test.ts runs the group on servers of its own.
    events: {
      created: true,
      destroyed: true,
      expired: 'needs events: true and notify-keyspace-events; see events.test.ts',
    },
    skip: { outage: 'runs against a test-owned redis-server in outage.test.ts' },
  });
});
