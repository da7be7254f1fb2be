import { engineAvailable, runConformanceSuite } from '@sessionkit/test-suite';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { RedisSessionStore } from '../src/index.js';
import { CLIENT_KINDS, standaloneClient, type TestClient } from './support/clients.js';
import { pingShared, REDIS_URL, redisProbe, runPrefix } from './support/probe.js';

const available = await engineAvailable('Redis', pingShared, `start redis-server on 127.0.0.1:6379 or set REDIS_URL`);
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
    probe: redisProbe(
      () => inspect,
      () => prefix,
      format,
    ),
    skip: { outage: 'runs against a test-owned redis-server in outage.test.ts' },
  });
});
