import { describe, expect, it } from 'vitest';
import { isConnectionError, toStoreError } from '../src/index.js';

describe('driver error kinds', () => {
  it('counts lost connections and only those as unavailable', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' });
    expect(isConnectionError(refused)).toBe(true);
    expect(isConnectionError(new Error('Connection is closed.'))).toBe(true);
    // ioredis' AbortError for a command in flight when a failover closes the link
    expect(isConnectionError(new Error('Command aborted due to connection close'))).toBe(true);
    expect(isConnectionError(new AggregateError([refused]))).toBe(true);
    expect(toStoreError(refused, 'x get').name).toBe('StoreUnavailableError');
    const nul = Object.assign(new Error('unsupported Unicode escape sequence'), { code: '22P05' });
    expect(isConnectionError(nul)).toBe(false);
    expect(toStoreError(nul, 'x patch').name).toBe('StoreOperationError');
    expect(toStoreError(nul, 'x patch', 'data')).toMatchObject({
      name: 'SessionEncodeError',
      code: 'ERR_SESSION_ENCODE',
    });
  });
});
