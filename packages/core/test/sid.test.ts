import { describe, expect, it } from 'vitest';
import { assertSessionId, isValidSessionId } from '../src/index.js';

describe('session ids: what express-session genid may produce', () => {
  it.each([
    'a',
    'apple',
    '/foo',
    '%',
    'AbC+/x==',
    'sess*glob?[chars]',
    "x'; DROP TABLE sessions; --",
    'has spaces',
    'ünïcode 🍵',
    'x'.repeat(256),
  ])('accepts %j', (sid) => expect(isValidSessionId(sid)).toBe(true));

  it.each([
    '',
    'x'.repeat(257),
    'new\nline',
    'nul\u0000',
    'del\u007f',
    'c1\u0085',
    'lone\ud800',
    '\udc00',
    12345678,
    null,
    undefined,
    {},
  ])('refuses %j with InvalidSessionIdError', (sid) => {
    expect(isValidSessionId(sid)).toBe(false);
    expect(() => assertSessionId(sid)).toThrow(expect.objectContaining({ code: 'ERR_SESSION_ID_INVALID' }));
  });

  it('never echoes control characters into the message', () => {
    expect(() => assertSessionId('evil\r\nSet-Cookie: x')).toThrow(/"evil\\r\\nSet-Cookie: x"/);
  });
});
