import { randomBytes } from 'node:crypto';
import { REDIS_URL, type StoreProbe } from '@sessionkit/test-suite';
import type { Cluster, Redis } from 'ioredis';

export { REDIS_URL };

/** A key prefix no other test run uses, so nothing else on a shared server is touched. */
export function runPrefix(what: string): string {
  return `sessionkit-test:${what}:${randomBytes(4).toString('hex')}:`;
}

/**
 * Reads the raw keys: PTTL of `<prefix><sid>`, and writes bytes that do not decode (a hash field
 * of broken JSON, or a broken JSON string) while keeping the key's TTL.
 */
export function redisProbe(client: () => Redis | Cluster, prefix: () => string, format: 'hash' | 'json'): StoreProbe {
  return {
    async storedTtlMs(sid) {
      const ttl = await client().pttl(prefix() + sid);
      if (ttl === -2) return null;
      return ttl === -1 ? Number.POSITIVE_INFINITY : ttl;
    },
    async corrupt(sid) {
      const key = prefix() + sid;
      if (format === 'hash') await client().hset(key, 'a', '{not json');
      else await client().set(key, '{not json', 'KEEPTTL');
    },
  };
}
