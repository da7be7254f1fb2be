import type { SessionChange, SessionData, SessionStore, SessionStoreEvent, WriteOptions } from '@sessionkit/core';

/**
 * A real store behind a wrapper that records each call by method name, to count store calls per request.
 *
 * @example
 * const store = new CountingStore(new MemorySessionStore());
 * await browser.json('/me');
 * expect(store.calls).toEqual(['get']);
 */
export class CountingStore implements SessionStore {
  readonly calls: string[] = [];
  readonly inner: SessionStore;

  constructor(inner: SessionStore) {
    this.inner = inner;
  }

  get name(): string {
    return this.inner.name;
  }

  /** Forgets the calls recorded so far. */
  reset(): void {
    this.calls.length = 0;
  }

  /** The writes recorded so far (set, patch, touch, destroy). */
  writes(): string[] {
    return this.calls.filter((call) => call !== 'get' && call !== 'ids' && call !== 'length');
  }

  get(sid: string): Promise<SessionData | null> {
    this.calls.push('get');
    return this.inner.get(sid);
  }
  set(sid: string, data: SessionData, options: WriteOptions): Promise<void> {
    this.calls.push('set');
    return this.inner.set(sid, data, options);
  }
  patch(sid: string, change: SessionChange, options: WriteOptions): Promise<void> {
    this.calls.push('patch');
    return this.inner.patch(sid, change, options);
  }
  touch(sid: string, options: WriteOptions): Promise<void> {
    this.calls.push('touch');
    return this.inner.touch(sid, options);
  }
  destroy(sid: string): Promise<void> {
    this.calls.push('destroy');
    return this.inner.destroy(sid);
  }
  ids(): AsyncIterable<string> {
    this.calls.push('ids');
    return this.inner.ids();
  }
  length(): Promise<number> {
    this.calls.push('length');
    return this.inner.length();
  }
  clear(): Promise<void> {
    this.calls.push('clear');
    return this.inner.clear();
  }
  idsByPrincipal(id: string | number): AsyncIterable<string> {
    this.calls.push('idsByPrincipal');
    return this.inner.idsByPrincipal(id);
  }
  destroyByPrincipal(id: string | number): Promise<number> {
    this.calls.push('destroyByPrincipal');
    return this.inner.destroyByPrincipal(id);
  }
  close(): Promise<void> {
    return this.inner.close();
  }
  on(event: SessionStoreEvent, listener: (...args: unknown[]) => void): this {
    this.inner.on(event, listener);
    return this;
  }
  off(event: SessionStoreEvent, listener: (...args: unknown[]) => void): this {
    this.inner.off(event, listener);
    return this;
  }
}
