import { engineAvailable } from './engines.js';

/** The shared Redis server tests run against: `REDIS_URL`, else redis://127.0.0.1:6379. */
export const REDIS_URL = process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379';

/** How long the probe waits for the TCP connection, in ms; a refused port fails at once. */
const CONNECT_TIMEOUT_MS = 2000;

/** Resolves once the server at REDIS_URL answers PING; rejects otherwise. The connection is closed either way. */
async function pingRedis(): Promise<void> {
  // Loaded here, not at the top, so a store suite that never asks for Redis does not load ioredis.
  const { Redis } = await import('ioredis');
  // One attempt, no reconnects and no queued retries: the answer is the first connection's.
  const client = new Redis(REDIS_URL, {
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    connectTimeout: CONNECT_TIMEOUT_MS,
  });
  client.on('error', () => {});
  try {
    await client.connect();
    await client.ping();
  } finally {
    client.disconnect();
  }
}

/**
 * Whether the shared Redis at REDIS_URL is up: resolves `true` when a connection opens within
 * {@link CONNECT_TIMEOUT_MS} (2000 ms) and PING is answered. When not, it resolves `false` after one
 * line saying how to start Redis (the suite is skipped), or with `CI=true` it rejects, so a missing
 * Redis fails the run. See {@link engineAvailable}.
 */
export function redisAvailable(): Promise<boolean> {
  return engineAvailable('Redis', pingRedis, 'start redis-server on 127.0.0.1:6379 or set REDIS_URL');
}
