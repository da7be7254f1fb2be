import { queryOptions, registerStore } from '@sessionkit/core';
import { DEFAULT_SWEEP_INTERVAL_MS, MemorySessionStore, type MemorySessionStoreOptions } from './memory-store.js';

export { DEFAULT_SWEEP_INTERVAL_MS, MemorySessionStore, type MemorySessionStoreOptions };

/** Options a `memory://` URL may carry; any other parameter is refused. */
const URL_PARAMS = { max: 'integer', maxSizeBytes: 'integer', sweepIntervalMs: 'number' } as const;

// memory://?max=10000&maxSizeBytes=67108864&sweepIntervalMs=60000
registerStore(
  ['memory'],
  (url, options) => new MemorySessionStore({ ...options, ...queryOptions(url, URL_PARAMS, { what: 'memory://' }) }),
  'memory://?max=10000',
);
