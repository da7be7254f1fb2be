import { byteLength, SessionTooLargeError, type SessionChange } from '@sessionkit/core';

/**
 * The session text after `changes`, in order: `stored` (JSON text, or null) parsed when it holds an
 * object, else `{}` (expired, tombstone, damaged), top-level keys replaced whole or removed.
 */
export function mergedJson(stored: string | null, changes: SessionChange[]): string {
  let session: Record<string, unknown> = {};
  if (stored !== null) {
    try {
      const value: unknown = JSON.parse(stored);
      if (typeof value === 'object' && value !== null && !Array.isArray(value))
        session = value as Record<string, unknown>;
    } catch {
      // damaged: start from {}
    }
  }
  // JSON.parse makes a `__proto__` key an own property, so these never touch a prototype.
  for (const change of changes) {
    for (const key of change.unset) delete session[key];
    for (const [key, value] of Object.entries(change.set)) session[key] = value;
  }
  return JSON.stringify(session);
}

/** `json` when it is at most `maxBytes` of UTF-8. @throws SessionTooLargeError otherwise. */
export function measured(json: string, maxBytes: number): string {
  const bytes = byteLength(json);
  if (bytes > maxBytes) throw new SessionTooLargeError(bytes, maxBytes);
  return json;
}
