import { describe, expect, it } from 'vitest';
import {
  type SessionStoreError,
  StoreUnavailableError,
  isSessionStoreError,
  toStoreError,
  withTimeout,
} from '../src/index.js';

describe('withTimeout', () => {
  it('rejects with StoreUnavailableError when work does not settle', async () => {
    const never = new Promise<never>(() => {});
    await expect(withTimeout(never, 50, 'redis get')).rejects.toThrow(/redis get did not settle within 50 ms/);
    await expect(withTimeout(never, 50, 'x')).rejects.toBeInstanceOf(StoreUnavailableError);
  });

  it('passes results and errors of work through', async () => {
    await expect(withTimeout(Promise.resolve(7), 1000, 'x')).resolves.toBe(7);
    await expect(withTimeout(Promise.reject(new Error('boom')), 1000, 'x')).rejects.toThrow('boom');
  });
});

describe('errors', () => {
  it('maps driver errors to StoreUnavailableError and keeps the cause', () => {
    const cause = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' });
    const err = toStoreError(cause, 'sql:postgres get');
    expect(err).toBeInstanceOf(StoreUnavailableError);
    expect(err.message).toBe('sql:postgres get failed: connect ECONNREFUSED 127.0.0.1:1');
    expect((err as SessionStoreError).cause).toBe(cause);
  });

  it('recognises sessionkit errors by code, not by a driver code', () => {
    expect(isSessionStoreError(new StoreUnavailableError('x'), 'ERR_STORE_UNAVAILABLE')).toBe(true);
    expect(isSessionStoreError(Object.assign(new Error('x'), { code: 'ECONNREFUSED' }))).toBe(false);
  });
});
