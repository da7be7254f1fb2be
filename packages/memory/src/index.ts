import { registerStore } from '@sessionkit/core';
import { MemorySessionStore, type MemorySessionStoreOptions } from './memory-store.js';

export { MemorySessionStore, type MemorySessionStoreOptions };

// memory://?max=10000&maxSizeBytes=67108864
registerStore(
  ['memory'],
  (url, options) =>
    new MemorySessionStore({
      ...options,
      ...numberParam(url, 'max'),
      ...numberParam(url, 'maxSizeBytes'),
    }),
  'memory://?max=10000',
);

function numberParam(url: URL, name: string): Record<string, number> {
  const value = url.searchParams.get(name);
  return value === null ? {} : { [name]: Number(value) };
}
