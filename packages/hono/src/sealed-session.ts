import type { RequestSession, SessionCookie, SessionFlavor } from '@sessionkit/cookie';
import type { SessionData } from '@sessionkit/core';
import type { Session } from './session-api.js';

/** The session state a `RequestSession` seals: its id (`jti`), cookie and data, kept apart from the methods. */
export interface SealedState {
  id: string;
  cookie: SessionCookie;
  data: SessionData;
}

/** How a `RequestSession` makes and reads {@link SealedState}s. */
export const HONO_FLAVOR: SessionFlavor<SealedState> = {
  create: (_owner, id, cookie, data) => ({ id, cookie, data: { ...data } }),
  id: (state) => state.id,
  cookie: (state) => state.cookie,
  data: (state) => ({ ...state.data }),
  replace: (state, data) => {
    state.data = data;
  },
};

const noop = () => {};

/**
 * `c.get('session')` under `cookie://`: the same methods as a store-backed `WebSession`, over a
 * session sealed into the cookie (`@sessionkit/cookie`). Data keys are any strings (`cookie` and
 * method names included), kept apart from the methods.
 */
export class SealedSession implements Session {
  readonly #request: RequestSession<SealedState>;

  /** Made by `SealedWebSessions.load`; not for direct use. */
  constructor(request: RequestSession<SealedState>) {
    this.#request = request;
  }

  get id(): string | undefined {
    return this.#request.fromCookie ? this.#request.session?.id : undefined;
  }

  get isNew(): boolean {
    return !this.#request.fromCookie;
  }

  get<T = unknown>(key: string): T | undefined {
    const data = this.#request.session?.data;
    return data && Object.hasOwn(data, key) ? (data[key] as T) : undefined;
  }

  set(key: string, value: unknown): void {
    this.#current().data[key] = value;
  }

  delete(key: string): void {
    const data = this.#request.session?.data;
    if (data) delete data[key];
  }

  has(key: string): boolean {
    const data = this.#request.session?.data;
    return data !== undefined && Object.hasOwn(data, key);
  }

  keys(): string[] {
    return Object.keys(this.#request.session?.data ?? {});
  }

  toJSON(): SessionData {
    return { ...this.#request.session?.data };
  }

  regenerate(): void {
    const kept = this.#request.session?.data ?? {};
    this.#request.regenerate(this.#request.session!, noop);
    Object.assign(this.#request.session!.data, kept);
  }

  destroy(): void {
    if (this.#request.session) this.#request.destroy(this.#request.session, noop);
  }

  /** The live state; after `destroy`, a new empty session. */
  #current(): SealedState {
    if (!this.#request.session) this.#request.regenerate(undefined as never, noop);
    return this.#request.session!;
  }
}
