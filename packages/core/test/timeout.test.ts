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

  it('bounds many calls at once: settled ones pass, hung ones time out, late outcomes are ignored', async () => {
    let finishLate!: (value: string) => void;
    let failLate!: (err: Error) => void;
    const late = new Promise<string>((resolve) => (finishLate = resolve));
    const lateFailure = new Promise<string>((_, reject) => (failLate = reject));
    const calls = [
      withTimeout(Promise.resolve('quick'), 100, 'a'),
      withTimeout(new Promise<string>(() => {}), 100, 'hung'),
      withTimeout(late, 100, 'late'),
      withTimeout(lateFailure, 100, 'late failure'),
      withTimeout(new Promise<string>(() => {}), 300, 'other timeout'),
      withTimeout(new Promise<string>((resolve) => setTimeout(resolve, 10, 'soon')), 100, 'b'),
    ];
    const outcomes = await Promise.allSettled(calls);
    finishLate('too late');
    failLate(new Error('too late'));
    expect(
      outcomes.map((outcome) => (outcome.status === 'fulfilled' ? outcome.value : (outcome.reason as Error).message)),
    ).toEqual([
      'quick',
      'hung did not settle within 100 ms (operationTimeoutMs); is the backend reachable?',
      'late did not settle within 100 ms (operationTimeoutMs); is the backend reachable?',
      'late failure did not settle within 100 ms (operationTimeoutMs); is the backend reachable?',
      'other timeout did not settle within 300 ms (operationTimeoutMs); is the backend reachable?',
      'soon',
    ]);
    // Later calls are bounded the same way.
    await expect(withTimeout(new Promise<never>(() => {}), 100, 'again')).rejects.toBeInstanceOf(StoreUnavailableError);
    await expect(withTimeout(Promise.resolve(1), 100, 'again')).resolves.toBe(1);
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
