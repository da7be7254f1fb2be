import '@sessionkit/memory';
import '@sessionkit/sql';
import '@sessionkit/redis';
import '@sessionkit/cluster';
import { createStore, type SessionStore } from '@sessionkit/core';

/** The store for a `SESSION_STORE_URL`, with every adapter registered. */
export function openStore(url: string): SessionStore {
  return createStore(url);
}

/** The URL as shown to people: password replaced, cluster secrets never appear in it anyway. */
export function describeStoreUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.href;
  } catch {
    return url;
  }
}
