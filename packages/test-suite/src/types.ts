import type { BaseStoreOptions, SessionLifecycleEventName, SessionStore } from '@sessionkit/core';

/** The part of vitest's `it` the suite uses; pass vitest's `it` itself. */
export interface TestFunction {
  (name: string, fn: () => Promise<void>, timeout?: number): void;
  skip(name: string, fn?: () => Promise<void>): void;
}

/** Reads the raw backend, so the suite checks what is stored and not just round trips. */
export interface StoreProbe {
  /** Milliseconds the backend will still keep `sid` (Redis PTTL, SQL `expires_at - now`), or `null` when nothing is stored for it. */
  storedTtlMs(sid: string): Promise<number | null>;
  /** Overwrites the stored bytes of an existing session with bytes that do not decode. */
  corrupt?(sid: string): Promise<void>;
  /** Runs the store's reclamation of expired sessions now (prune, sweep). Omit when the backend expires natively. */
  reclaim?(): Promise<void>;
}

/** Stops and starts the real backend for the outage group. */
export interface BackendControl {
  stop(): Promise<void>;
  start(): Promise<void>;
}

export interface ConformanceOptions {
  /** vitest's `it`. */
  it: TestFunction;
  /**
   * Creates a store on a namespace (key prefix, table) that no other test file uses. Called once per
   * test; `options` come from the test (small `maxSessionBytes`, short `operationTimeoutMs`).
   */
  createStore(options: BaseStoreOptions): SessionStore | Promise<SessionStore>;
  /**
   * Creates another store on the same backend and namespace as `store` (which `createStore` made
   * in this test): a second app instance. Omit for single-process stores (memory); the principal
   * group's two-instance check is then registered as skipped, with the reason.
   */
  createPeer?(store: SessionStore, options: BaseStoreOptions): SessionStore | Promise<SessionStore>;
  /**
   * The lifecycle events the store delivers (`true`), or the reason it cannot (a string). An event
   * left out is registered as skipped ("not declared"), never as passing.
   */
  events?: Partial<Record<SessionLifecycleEventName, true | string>>;
  probe?: StoreProbe;
  backend?: BackendControl;
  /** Groups to leave out, with the reason shown as a skipped test. */
  skip?: Partial<Record<GroupName, string>>;
}

export type GroupName =
  | 'basic'
  | 'expiry'
  | 'touch'
  | 'patch'
  | 'concurrency'
  | 'destroy'
  | 'ids'
  | 'bad-input'
  | 'values'
  | 'principal'
  | 'events'
  | 'outage';

/** What a group receives: the options plus helpers. */
export interface GroupContext extends ConformanceOptions {
  /** Runs `fn` with a fresh store and closes it afterwards. */
  withStore(fn: (store: SessionStore) => Promise<void>, options?: BaseStoreOptions): Promise<void>;
  /** A new valid sid that no other test uses. */
  sid(): string;
  /** Registers a test named `<group> › <name>`. */
  test(name: string, fn: () => Promise<void>, timeoutMs?: number): void;
  /** Registers a skipped test with the reason in its name. */
  skipTest(name: string, reason: string): void;
}
