import { setTimeout as sleep } from 'node:timers/promises';
import type { NearCacheState } from '../../src/index.js';
import type { RedisSessionStore } from '../../src/index.js';

/**
 * Resolves once the store's near cache is in `state` (default `tracking`), connecting its client
 * first (one read). Rejects after `timeoutMs`: only a hang fails it.
 */
export async function untilTracking(
  store: RedisSessionStore,
  state: NearCacheState = 'tracking',
  timeoutMs = 20_000,
): Promise<void> {
  // Connects a lazy client; while its link is down the read fails, and only the state matters here.
  await store.get('near-cache-connect-probe').catch(() => {});
  const deadline = Date.now() + timeoutMs;
  while (store.nearCache?.state !== state) {
    if (Date.now() > deadline)
      throw new Error(`near cache still ${store.nearCache?.state} after ${timeoutMs} ms, expected ${state}`);
    await sleep(10);
  }
}

/** Resolves once the store's near cache has flushed more than `before` times (tracking was lost). Rejects after `timeoutMs`. */
export async function untilFlushed(store: RedisSessionStore, before: number, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while ((store.nearCache?.flushes ?? 0) <= before) {
    if (Date.now() > deadline) throw new Error(`near cache not flushed within ${timeoutMs} ms`);
    await sleep(10);
  }
}
