import { registerStore } from '@sessionkit/core';
import { RedisSessionStore } from './redis-store.js';
import { REDIS_URL_EXAMPLES } from './url.js';

export {
  RedisSessionStore,
  type RedisSessionStoreOptions,
  type RedisSessionStoreUrlOptions,
  type WaitReplicasOptions,
} from './redis-store.js';
export { ReplicationError } from './errors.js';
export {
  DEFAULT_NEAR_CACHE_MAX_AGE_MS,
  type NearCacheOptions,
  type NearCacheState,
  type NearCacheStats,
} from './near-cache.js';
export type { AnyRedisClient, IoredisClient, NodeRedisClient } from './client.js';
export { failFastOptions } from './url.js';

// The factory takes the URL text as given when the registry passes it (a host list such as
// `h1:26379,h2:26379` is not a WHATWG URL), and the parsed URL otherwise.
for (const [scheme, example] of Object.entries(REDIS_URL_EXAMPLES)) {
  registerStore([scheme], (url, options, raw?: string) => RedisSessionStore.fromUrl(raw ?? url.href, options), example);
}
