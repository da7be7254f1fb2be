import { describe, expect, it } from 'vitest';
import { DEFAULT_SESSION_LIMITS, MAX_SESSION_DEPTH, encodeSession, normalizeChange } from '../src/index.js';

const nested = (depth: number): unknown => (depth === 0 ? 'leaf' : { n: nested(depth - 1) });

describe('the shared value rules', () => {
  it('store what JSON round-trips: toJSON honoured, undefined/functions/Symbols dropped, NaN as null', () => {
    const when = new Date('2026-01-02T03:04:05.000Z');
    const { set, unset } = normalizeChange({
      set: {
        when,
        fn: () => 1,
        sym: Symbol('s'),
        gone: undefined,
        list: [1, undefined, () => 1, Number.NaN],
        obj: { a: undefined, b: 1 },
      },
      unset: [],
    });
    expect(set).toEqual({ when: '2026-01-02T03:04:05.000Z', list: [1, null, null, null], obj: { b: 1 } });
    expect(unset.sort()).toEqual(['fn', 'gone', 'sym']);
    expect(encodeSession({ when, fn: () => 1, nul: 'a\u0000b' })).toBe(
      '{"when":"2026-01-02T03:04:05.000Z","nul":"a\\u0000b"}',
    );
  });

  it('keeps values that are already in stored form as they are (no copy)', () => {
    const cart = [{ sku: 'tea', qty: 1 }];
    expect(normalizeChange({ set: { cart }, unset: [] }).set['cart']).toBe(cart);
  });

  it.each([
    ['a lone high surrogate', { s: 'a\ud800b' }, /session\.s holds a string with a lone UTF-16 surrogate/],
    ['a lone low surrogate deep down', { a: [{ b: '\udc00' }] }, /session\.a\[0\]\.b holds a string with a lone/],
    ['a key with a lone surrogate', { a: { ['k\ud800']: 1 } }, /session\.a.* a key with a lone/],
    ['a Map', { m: new Map([[1, 2]]) }, /session\.m holds a Map/],
    ['a Set', { a: [new Set([1])] }, /session\.a\[0\] holds a Set/],
    ['a BigInt', { n: 1n }, /session\.n holds a BigInt/],
    ['nesting past the limit', { deep: nested(MAX_SESSION_DEPTH) }, /nesting deeper than 32/],
  ])('refuse %s with SessionEncodeError and the path', (_, data, message) => {
    for (const call of [
      () => encodeSession(data as Record<string, unknown>),
      () => normalizeChange({ set: data as Record<string, unknown>, unset: [] }),
    ]) {
      expect(call).toThrow(message);
      expect(call).toThrow(expect.objectContaining({ code: 'ERR_SESSION_ENCODE' }));
    }
  });

  it('accept nesting up to 32 levels, counting the session object', () => {
    expect(() => encodeSession({ deep: nested(MAX_SESSION_DEPTH - 1) })).not.toThrow();
    expect(() => encodeSession({ deep: nested(MAX_SESSION_DEPTH) })).toThrow(/nesting deeper/);
  });

  it('refuse a cycle as too deep, without a stack overflow', () => {
    const cyclic: Record<string, unknown> = {};
    cyclic['self'] = cyclic;
    expect(() => encodeSession({ cyclic })).toThrow(/nesting deeper than 32 levels \(or a cycle\)/);
  });

  it('cap the top-level keys of a session and of a change (maxSessionKeys)', () => {
    const many = Object.fromEntries(Array.from({ length: 50_000 }, (_, i) => [`k${i}`, 0]));
    const limits = { ...DEFAULT_SESSION_LIMITS, maxSessionBytes: 10 * 1024 * 1024 };
    expect(() => encodeSession(many, limits)).toThrow(/more than 2000 top-level keys \(maxSessionKeys\)/);
    expect(() => normalizeChange({ set: many, unset: [] }, limits)).toThrow(/maxSessionKeys/);
    const unset = Object.keys(many);
    expect(() => normalizeChange({ set: {}, unset }, limits)).toThrow(/maxSessionKeys/);
    const exactly = Object.fromEntries(Array.from({ length: 2000 }, (_, i) => [`k${i}`, 0]));
    expect(Object.keys(normalizeChange({ set: exactly, unset: [] }).set)).toHaveLength(2000);
  });
});
