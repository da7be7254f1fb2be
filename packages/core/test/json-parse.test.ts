import { describe, expect, it } from 'vitest';
import { decodeSession, decodeValue } from '../src/index.js';
import { mayHoldForbiddenKeys, parseJson } from '../src/json-parse.js';

describe('parseJson', () => {
  it('sends text that could spell __proto__ or constructor to the safe parse', () => {
    for (const text of ['{"__proto__":1}', '{"constructor":{}}', '{"\\u005f_proto__":1}', '\ufeff{}'])
      expect(mayHoldForbiddenKeys(text)).toBe(true);
    for (const text of ['{"a":"proto","b":["__prot","o__"]}', '{"construct":"or"}'])
      expect(mayHoldForbiddenKeys(text)).toBe(false);
  });

  it('never yields a __proto__ key or a constructor.prototype, however they are spelled', () => {
    const spellings = [
      '{"__proto__":{"polluted":1},"a":1}',
      '{"\\u005f\\u005fproto\\u005f\\u005f":{"polluted":1},"a":1}',
      '{"a":1,"x":{"constructor":{"prototype":{"polluted":1}}}}',
      '{"a":1,"x":{"\\u0063onstructor":{"prototype":{"polluted":1}}}}',
    ];
    for (const text of spellings) {
      const data = decodeSession('sid-12345678', text);
      expect(Object.hasOwn(data, '__proto__')).toBe(false);
      expect(Object.getPrototypeOf(data)).toBe(Object.prototype);
      expect(data['a']).toBe(1);
      if (data['x']) expect(Object.hasOwn(data['x'] as object, 'constructor')).toBe(false);
    }
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
  });

  it('keeps the words in values, decodes Buffers and skips a byte order mark', () => {
    expect(parseJson('{"note":"__proto__ and constructor are words"}')).toEqual({
      note: '__proto__ and constructor are words',
    });
    expect(parseJson(Buffer.from('{"a":"é"}'))).toEqual({ a: 'é' });
    expect(parseJson('\ufeff{"a":1}')).toEqual({ a: 1 });
    expect(decodeValue('sid-12345678', '[1,{"__proto__":{"polluted":1}}]')).toEqual([1, {}]);
  });
});
