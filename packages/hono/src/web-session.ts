import type { LoadedSession, SessionData } from '@sessionkit/core';
import type { Session } from './session-api.js';

/** What the Web core and a session object share about one request's session. */
export interface SessionState {
  /** The sid the request arrived with and loaded; `undefined` for a new session. */
  loadedSid: string | undefined;
  load: LoadedSession | undefined;
  data: SessionData;
  regenerate: boolean;
  destroy: boolean;
  /** The cookie was verified with an older secret: sign it again. */
  resign: boolean;
}

/**
 * One request's session, as `c.get('session')` returns it. Top-level keys hold JSON-safe values;
 * change them with `set` / `delete` (or mutate a value obtained from `get`: the save compares
 * every key with what was loaded, so both are written). Changes are saved after the handler.
 *
 * @example
 * app.post('/cart', async (c) => {
 *   const session = c.get('session');
 *   session.set('cart', [...(session.get<string[]>('cart') ?? []), (await c.req.json()).sku]);
 *   return c.json(session.get('cart'));
 * });
 */
export class WebSession implements Session {
  readonly #state: SessionState;

  /** Made by `WebSessions.load`; not for direct use. */
  constructor(state: SessionState) {
    this.#state = state;
  }

  /** The sid the request loaded, or `undefined` for a session that was not stored yet. */
  get id(): string | undefined {
    return this.#state.regenerate ? undefined : this.#state.loadedSid;
  }

  /** True until the session is stored. */
  get isNew(): boolean {
    return this.#state.loadedSid === undefined;
  }

  get<T = unknown>(key: string): T | undefined {
    return this.#state.data[key] as T | undefined;
  }

  set(key: string, value: unknown): void {
    this.#state.data[key] = value;
  }

  delete(key: string): void {
    delete this.#state.data[key];
  }

  has(key: string): boolean {
    return Object.hasOwn(this.#state.data, key);
  }

  keys(): string[] {
    return Object.keys(this.#state.data);
  }

  /** A copy of the session data. */
  toJSON(): SessionData {
    return { ...this.#state.data };
  }

  /** Moves the session to a new sid at save time (after a login, against session fixation); the data is kept. */
  regenerate(): void {
    this.#state.regenerate = true;
  }

  /** Removes the session from the store and clears its cookie at save time; `set` afterwards starts a new one. */
  destroy(): void {
    this.#state.destroy = true;
    this.#state.data = {};
  }
}
