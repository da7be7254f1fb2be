import { registerStore } from '@sessionkit/core';
import { RedisSessionStore } from './redis-store.js';
import { REDIS_URL_EXAMPLES } from './url.js';

export { RedisSessionStore, type RedisSessionStoreOptions, type RedisSessionStoreUrlOptions, type WaitReplicasOptions } from './redis-store.js';
export { ReplicationError } from './errors.js';
export { failFastOptions } from './url.js';

for (const [scheme, example] of Object.entries(REDIS_URL_EXAMPLES)) {
  registerStore([scheme], (url, options) => RedisSessionStore.fromUrl(url.href, options), example);
}
