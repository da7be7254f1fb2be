import { describe, expect, it } from 'vitest';
import {
  DEFAULT_PRINCIPAL_KEYS,
  InvalidPrincipalError,
  PrincipalIndex,
  principalOf,
  principalOfChange,
  principalQuery,
  touchesKeys,
  UNDECIDED,
} from '../src/index.js';

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

describe('principalOfChange', () => {
  const change = (set: Record<string, unknown>, unset: string[] = []) => ({ set, unset });

  it('is decided by a change that sets the key the principal is read from first', () => {
    expect(principalOfChange(change({ passport: { user: 'ann' } }))).toBe('ann');
    expect(principalOfChange(change({ passport: { user: 42 }, cart: [] }))).toBe('42');
    // passport without a user, and userId set by the same change
    expect(principalOfChange(change({ passport: {}, userId: 'bob' }))).toBe('bob');
    expect(principalOfChange(change({ passport: null, userId: null }))).toBeUndefined();
  });

  it('is UNDECIDED when the principal may come from a key the change leaves as it is', () => {
    expect(principalOfChange(change({ cart: ['tea'] }))).toBe(UNDECIDED);
    expect(principalOfChange(change({}, ['passport']))).toBe(UNDECIDED); // userId may remain
    expect(principalOfChange(change({ userId: 'cy' }))).toBe(UNDECIDED); // passport may hold a user
  });

  it('a custom function: decided by what it reads; listing keys, or throwing, is UNDECIDED', () => {
    const byAccount = (data: Record<string, unknown>) => (data['account'] as { id?: string } | undefined)?.id;
    expect(principalOfChange(change({ account: { id: 'dee' } }), byAccount)).toBe('dee');
    expect(principalOfChange(change({}, ['account']), byAccount)).toBeUndefined();
    expect(principalOfChange(change({ account: { id: 'x' } }), (data) => Object.keys(data).join())).toBe(UNDECIDED);
    expect(
      principalOfChange(change({ account: {} }), () => {
        throw new Error('lookup failed');
      }),
    ).toBe(UNDECIDED);
    expect(principalOfChange(change({ userId: 'u'.repeat(257) }), (data) => data['userId'])).toBe(UNDECIDED);
  });
});

describe('touchesKeys', () => {
  it('is true when the change sets or unsets one of the keys, false otherwise', () => {
    const keys = DEFAULT_PRINCIPAL_KEYS;
    expect(touchesKeys({ set: { cart: [] }, unset: ['note'] }, keys)).toBe(false);
    expect(touchesKeys({ set: { passport: { user: 'ann' } }, unset: [] }, keys)).toBe(true);
    expect(touchesKeys({ set: {}, unset: ['userId'] }, new Set(keys))).toBe(true);
    // an inherited name is not a key the change sets
    expect(touchesKeys({ set: Object.create({ userId: 1 }), unset: [] }, keys)).toBe(false);
  });
});
