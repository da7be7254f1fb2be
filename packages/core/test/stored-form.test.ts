import { describe, expect, it } from 'vitest';
import {
  changeBetween,
  decodeSession,
  formKeyTexts,
  jsonOf,
  keyTexts,
  keyTextsOf,
  normalizeChange,
  privateSlot,
  rememberStoredForm,
  storedForm,
} from '../src/index.js';
import { objectKeyTexts } from '../src/object-texts.js';

const sessions: Record<string, unknown>[] = [
  {},
  { a: 1 },
  {
    cookie: { originalMaxAge: 86_400_000, expires: '2026-12-03T13:00:00.000Z', httpOnly: true, path: '/' },
    cart: { 'sku-1': 2 },
  },
  { s: 'a "quoted" \\ back, slash', n: -1.5e-7, t: true, f: false, z: null, e: '', big: 1e21 },
  { nested: { a: [1, [2, [3, { b: '}]{["' }]], {}], c: { d: {} } }, arr: [], obj: {} },
  { 'key "with" quotes': 1, 'key\\back': 'v', ключ: 'значение', emoji: '😀', tab: 'a\tb', nl: 'a\nb' },
];

describe('objectKeyTexts', () => {
  it.each(sessions.map((data) => [JSON.stringify(data)]))(
    'cuts %s into the texts keyTexts gives for its decoding',
    (text) => {
      expect(objectKeyTexts(text)).toEqual(keyTexts(JSON.parse(text) as object));
    },
  );

  it.each([
    ['whitespace between tokens (another writer)', '{"a": 1}'],
    ['whitespace inside a value', '{"a":[1, 2]}'],
    ['a __proto__ key', '{"__proto__":{"x":1}}'],
    ['a constructor key', '{"constructor":{"prototype":{"x":1}}}'],
    ['a \\u escape, which could spell a forbidden key', '{"\\u005f_proto__":1}'],
    ['an array', '[1,2]'],
    ['a string', '"{}"'],
  ])('gives up on %s, so the caller decodes', (_, text) => {
    expect(objectKeyTexts(text)).toBeUndefined();
  });
});

describe('formKeyTexts', () => {
  it('decodes text it cannot cut, prototype-safely, and encodes each key as JSON.stringify would', () => {
    expect(formKeyTexts('{"a": {"b": [1, 2]}, "c": "x"}')).toEqual(
      new Map([
        ['a', '{"b":[1,2]}'],
        ['c', '"x"'],
      ]),
    );
    const texts = formKeyTexts('{"__proto__":{"polluted":1},"a":{"constructor":{"prototype":{"polluted":1}}}}');
    expect(texts).toEqual(new Map([['a', '{}']]));
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
  });
});

describe('the stored form of a decoded session', () => {
  it('is the text it was decoded from, invisible to JSON, spreads and equality', () => {
    const text = '{"user":"alice","cart":["tea"]}';
    const data = decodeSession('sid-12345678', text);
    expect(storedForm(data)).toBe(text);
    expect(data).toEqual({ user: 'alice', cart: ['tea'] });
    expect(JSON.stringify(data)).toBe(text);
    expect(Object.getOwnPropertySymbols(data)).toEqual([]);
    expect(storedForm({ ...data })).toBeUndefined();
  });

  it('a later remembered form replaces the earlier one', () => {
    const data = rememberStoredForm({ a: 1 }, '{"a":1}');
    rememberStoredForm(data, new Map([['a', '1']]));
    expect(storedForm(data)).toEqual(new Map([['a', '1']]));
  });

  it('is never taken for the texts of the values: the caller may have changed them since the read', () => {
    const data = rememberStoredForm({ a: 1 } as Record<string, unknown>, new Map([['a', '1']]));
    data['a'] = 2;
    expect(keyTextsOf(data)).toBeUndefined();
    const change = normalizeChange({ set: data, unset: [] });
    expect(keyTextsOf(change.set)).toEqual(new Map([['a', '2']]));
  });
});

describe('a change carries its texts to the store', () => {
  it('changeBetween sets the changed keys, decoded from their texts, and remembers the texts', () => {
    const loaded = keyTexts({ a: 1, cart: ['tea'], gone: true });
    const current = keyTexts({ a: 1, cart: ['tea', 'pen'], when: new Date('2026-01-02T00:00:00.000Z') });
    const change = changeBetween(loaded, current);
    expect(change).toEqual({ set: { cart: ['tea', 'pen'], when: '2026-01-02T00:00:00.000Z' }, unset: ['gone'] });
    expect(keyTextsOf(change.set)).toEqual(
      new Map([
        ['cart', '["tea","pen"]'],
        ['when', '"2026-01-02T00:00:00.000Z"'],
      ]),
    );
  });

  it('normalizeChange returns the text of every value it keeps, from the change or encoded', () => {
    const fromDiff = normalizeChange(changeBetween(new Map(), keyTexts({ cart: { tea: 1 } })));
    expect(keyTextsOf(fromDiff.set)).toEqual(new Map([['cart', '{"tea":1}']]));
    const raw = normalizeChange({
      set: { when: new Date('2026-01-02T00:00:00.000Z'), fn: () => 1, n: Number.NaN },
      unset: [],
    });
    expect(raw).toEqual({ set: { when: '2026-01-02T00:00:00.000Z', n: null }, unset: ['fn'] });
    expect(keyTextsOf(raw.set)).toEqual(
      new Map([
        ['when', '"2026-01-02T00:00:00.000Z"'],
        ['n', 'null'],
      ]),
    );
  });

  it('a change from the diff is returned as it is once checked; limits and overlaps still apply', () => {
    const change = changeBetween(keyTexts({ a: 1, gone: 2 }), keyTexts({ a: 2, cart: ['tea'] }));
    const normalized = normalizeChange(change);
    expect(normalized.set).toBe(change.set);
    expect(normalized).toEqual({ set: { a: 2, cart: ['tea'] }, unset: ['gone'] });
    const limits = { maxSessionBytes: 20, maxSessionKeys: 2000 };
    const large = changeBetween(new Map(), keyTexts({ cart: 'x'.repeat(40) }));
    expect(() => normalizeChange(large, limits)).toThrow(expect.objectContaining({ code: 'ERR_SESSION_TOO_LARGE' }));
    const overlapping = { set: change.set, unset: ['a'] };
    expect(normalizeChange(overlapping)).toEqual({ set: { a: 2, cart: ['tea'] }, unset: [] });
  });

  it('the value rules still apply to values that come with their texts', () => {
    const change = changeBetween(new Map(), keyTexts({ s: 'a\ud800b' }));
    expect(() => normalizeChange(change)).toThrow(/session\.s holds a string with a lone UTF-16 surrogate/);
  });
});

describe('privateSlot', () => {
  it('keeps one value per object and slot, seen by nothing else', () => {
    const first = privateSlot<string>();
    const second = privateSlot<string>();
    const target = { a: 1 };
    first.set(target, 'one');
    first.set(target, 'two');
    second.set(target, 'other');
    expect(first.get(target)).toBe('two');
    expect(second.get(target)).toBe('other');
    expect(first.get({ a: 1 })).toBeUndefined();
    expect(target).toEqual({ a: 1 });
    expect(Reflect.ownKeys(target)).toEqual(['a']);
  });

  it('works on frozen objects, class instances and arrays', () => {
    const slot = privateSlot<number>();
    const targets = [Object.freeze({ a: 1 }), new Date(0), [1, 2], Object.create(null) as object];
    for (const [index, target] of targets.entries()) slot.set(target, index);
    expect(targets.map((target) => slot.get(target))).toEqual([0, 1, 2, 3]);
  });
});

describe('jsonOf', () => {
  it('is JSON.stringify, built from the remembered value texts of a change, for every session', () => {
    for (const session of sessions) {
      const { set } = changeBetween(new Map(), keyTexts(session));
      expect(keyTextsOf(set)).toBeDefined();
      expect(jsonOf(set)).toBe(JSON.stringify(session));
      expect(jsonOf({ ...session })).toBe(JSON.stringify(session));
    }
  });

  it('uses the remembered text of each key, and encodes a key added after', () => {
    const { set } = changeBetween(new Map(), new Map([['a', '1.50']]));
    set['b'] = [true];
    expect(jsonOf(set)).toBe('{"a":1.50,"b":[true]}');
  });
});
