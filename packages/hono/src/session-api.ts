import type { SessionData } from '@sessionkit/core';

/**
 * The session a handler sees as `c.get('session')`, on either strategy: a `WebSession` over a
 * store, a `SealedSession` over a sealed cookie. Top-level keys hold JSON-safe values; changes are
 * saved (or sealed) after the handler.
 */
export interface Session {
  /** The session's id as the request's cookie named it; `undefined` for a session not saved yet. */
  readonly id: string | undefined;
  /** True until the session is saved (stored, or sealed into the cookie). */
  readonly isNew: boolean;
  get<T = unknown>(key: string): T | undefined;
  set(key: string, value: unknown): void;
  delete(key: string): void;
  has(key: string): boolean;
  keys(): string[];
  /** A copy of the session data. */
  toJSON(): SessionData;
  /** Moves the session to a new id at save time (after a login, against session fixation); the data is kept. */
  regenerate(): void;
  /** Ends the session and clears its cookie at save time; `set` afterwards starts a new one. */
  destroy(): void;
}
