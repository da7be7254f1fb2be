import { describe, expect, it } from 'vitest';
import {
  httpStatusOf,
  InvalidSessionIdError,
  SessionDecodeError,
  SessionEncodeError,
  SessionTooLargeError,
  StoreConfigError,
  StoreUnavailableError,
  withHttpStatus,
} from '../src/index.js';

describe('store errors as HTTP statuses', () => {
  it("store down is 503; the request's own bad data is 400; anything else has no status (500)", () => {
    expect(httpStatusOf(new StoreUnavailableError('down'))).toBe(503);
    expect(httpStatusOf(new SessionEncodeError('cycle'))).toBe(400);
    expect(httpStatusOf(new SessionTooLargeError(2000, 1000))).toBe(400);
    expect(httpStatusOf(new InvalidSessionIdError('a b'))).toBe(400);
    expect(httpStatusOf(new SessionDecodeError('sid-1234', 'bad'))).toBeUndefined();
    expect(httpStatusOf(new StoreConfigError('bad option'))).toBeUndefined();
    expect(httpStatusOf(new Error('bug'))).toBeUndefined();
    expect(httpStatusOf('not an error')).toBeUndefined();
  });

  it('withHttpStatus sets status, statusCode and expose (true only for 400), and leaves other errors alone', () => {
    expect(withHttpStatus(new StoreUnavailableError('down'))).toMatchObject({
      status: 503,
      statusCode: 503,
      expose: false,
    });
    expect(withHttpStatus(new SessionTooLargeError(2000, 1000))).toMatchObject({
      status: 400,
      statusCode: 400,
      expose: true,
    });
    const bug = new Error('bug');
    expect(withHttpStatus(bug)).toBe(bug);
    expect(bug).not.toHaveProperty('status');
  });
});
