import { registerStore } from '@sessionkit/core';
import { DEFAULT_SWEEP_INTERVAL_MS, MemorySessionStore, type MemorySessionStoreOptions } from './memory-store.js';

export { DEFAULT_SWEEP_INTERVAL_MS, MemorySessionStore, type MemorySessionStoreOptions };

// memory://?max=10000&maxSizeBytes=67108864&sweepIntervalMs=60000
registerStore(
  ['memory'],
  (url, options) =>
    new MemorySessionStore({
      ...options,
      ...numberParam(url, 'max'),
      ...numberParam(url, 'maxSizeBytes'),
      ...numberParam(url, 'sweepIntervalMs'),
    }),
  'memory://?max=10000',
);

function numberParam(url: URL, name: string): Record<string, number> {
  const value = url.searchParams.get(name);
  return value === null ? {} : { [name]: Number(value) };
}
