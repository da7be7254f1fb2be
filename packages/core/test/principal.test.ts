import { describe, expect, it } from 'vitest';
import { InvalidPrincipalError, PrincipalIndex, principalOf, principalQuery } from '../src/index.js';

describe('principalQuery', () => {
  it('takes strings as they are and finite numbers as principalOf stores them', () => {
    expect(principalQuery('ann')).toBe('ann');
    expect(principalQuery(42)).toBe('42');
    expect(principalQuery(42)).toBe(principalOf({ userId: 42 }));
  });

  it.each([[''], [null], [undefined], [Number.NaN], [Number.POSITIVE_INFINITY], [{ id: 1 }], ['é'.repeat(129)]])(
    'refuses %j with InvalidPrincipalError',
    (id) => {
      expect(() => principalQuery(id)).toThrow(InvalidPrincipalError);
      expect(() => principalQuery(id)).toThrow(expect.objectContaining({ code: 'ERR_PRINCIPAL_INVALID' }));
    },
  );
});

describe('PrincipalIndex', () => {
  it('files, moves and forgets sessions, and drops a user with no sessions left', () => {
    const index = new PrincipalIndex();
    index.assign('s1', 'ann');
    index.assign('s2', 'ann');
    index.assign('s3', undefined);
    expect(index.sids('ann').sort()).toEqual(['s1', 's2']);
    expect(index.size).toBe(2);
    index.assign('s1', 'bob');
    expect(index.sids('ann')).toEqual(['s2']);
    expect(index.principalOf('s1')).toBe('bob');
    expect(index.remove('s2')).toBe('ann');
    expect(index.count('ann')).toBe(0);
    expect([...index.principals()]).toEqual([['bob', 1]]);
    index.assign('s1', undefined);
    expect(index.size).toBe(0);
    expect([...index.principals()]).toEqual([]);
  });
});
