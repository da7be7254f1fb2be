// The umbrella package registers every store adapter with createStore.
import { createStore, type SessionStore } from 'sessionkit';

/** The store for a `SESSION_STORE_URL` (`memory://`, `sqlite:`, `redis://`, `postgres://`, `mysql://`, `cluster://`, …). */
export function openStore(url: string): SessionStore {
  return createStore(url);
}

/** `cookie://`: client-side storage, the session sealed in the cookie; no store to open. */
export function isClientSide(url: string): boolean {
  return /^cookie:/i.test(url);
}

/** The URL as shown to people: password replaced (cluster secrets never appear in it anyway). */
export function describeStoreUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.href;
  } catch {
    return url;
  }
}
