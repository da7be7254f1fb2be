import { describe, expect, it } from 'vitest';
import { DEFAULT_SESSION_LIMITS, applyChange, decodeSession, encodeSession, normalizeChange } from '../src/index.js';

const limits = (maxSessionBytes: number, maxSessionKeys = 2000) => ({
  ...DEFAULT_SESSION_LIMITS,
  maxSessionBytes,
  maxSessionKeys,
});

describe('encodeSession', () => {
  it('encodes a plain object as JSON', () => {
    expect(encodeSession({ a: 1, b: [true, null] })).toBe('{"a":1,"b":[true,null]}');
  });

  it('counts UTF-8 bytes, not UTF-16 units', () => {
    expect(() => encodeSession({ s: '€'.repeat(400) }, limits(1000))).toThrow(
      expect.objectContaining({ code: 'ERR_SESSION_TOO_LARGE' }),
    );
    expect(encodeSession({ s: 'e'.repeat(400) }, limits(1000))).toHaveLength(408);
  });

  it.each([
    [
      'a cycle',
      (() => {
        const o: Record<string, unknown> = {};
        o['o'] = o;
        return o;
      })(),
    ],
    ['a BigInt', { n: 1n }],
    ['an array', [1]],
    ['null', null],
    ['a class instance', new Map()],
    ['a __proto__ key', JSON.parse('{"__proto__": 1}')],
  ])('refuses %s with SessionEncodeError', (_, value) => {
    expect(() => encodeSession(value as Record<string, unknown>)).toThrow(
      expect.objectContaining({ code: 'ERR_SESSION_ENCODE' }),
    );
  });
});

describe('decodeSession', () => {
  it('drops __proto__ and constructor.prototype at every depth', () => {
    const data = decodeSession(
      'sid-12345678',
      '{"a":{"__proto__":{"polluted":1},"constructor":{"prototype":{"polluted":1}}},"__proto__":{"polluted":1}}',
    );
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
    expect(Object.getPrototypeOf(data)).toBe(Object.prototype);
    expect(Object.keys(data)).toEqual(['a']);
  });

  it.each([
    ['not json', 'garbage{'],
    ['an array', '[1,2]'],
    ['a string', '"s"'],
    ['null', 'null'],
  ])('refuses %s with SessionDecodeError naming the sid', (_, text) => {
    expect(() => decodeSession('sid-12345678', text)).toThrow(/sid-12345678/);
    expect(() => decodeSession('sid-12345678', text)).toThrow(expect.objectContaining({ code: 'ERR_SESSION_DECODE' }));
  });
});

describe('normalizeChange / applyChange', () => {
  it('moves undefined values to unset and lets set win over unset', () => {
    expect(normalizeChange({ set: { a: undefined, b: 2 }, unset: ['b', 'c'] })).toEqual({
      set: { b: 2 },
      unset: ['c', 'a'],
    });
  });

  it('refuses forbidden keys', () => {
    expect(() => normalizeChange({ set: {}, unset: ['__proto__'] })).toThrow(/not allowed/);
    expect(() => normalizeChange({ set: { '': 1 }, unset: [] })).toThrow(/not allowed/);
  });

  it('replaces top-level keys whole and leaves the input untouched', () => {
    const base = { user: { id: 1, name: 'a' }, keep: true };
    const next = applyChange(base, { set: { user: { id: 2 } }, unset: ['keep'] });
    expect(next).toEqual({ user: { id: 2 } });
    expect(base).toEqual({ user: { id: 1, name: 'a' }, keep: true });
  });
});
