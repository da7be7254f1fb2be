import { describe, expect, it } from 'vitest';
import { clientAddress, rendezvousPick } from '../src/index.js';

const addresses = Array.from({ length: 10_000 }, (_, i) => `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`);
const four = ['a', 'b', 'c', 'd'].map((id) => ({ id }));
const five = [...four, { id: 'e' }];

describe('rendezvousPick (ip-hash)', () => {
  it('moves between 10% and 30% of 10,000 addresses when a fifth backend joins four, all to the new one', () => {
    let moved = 0;
    for (const address of addresses) {
      const before = rendezvousPick(address, four)?.id;
      const after = rendezvousPick(address, five)?.id;
      if (before !== after) {
        moved++;
        expect(after).toBe('e'); // nobody moves between old backends
      }
    }
    console.info(`[sticky] ip-hash 4 -> 5 backends moved ${moved} of 10,000 addresses (${(moved / 100).toFixed(2)}%)`);
    expect(moved / addresses.length).toBeGreaterThanOrEqual(0.1);
    expect(moved / addresses.length).toBeLessThanOrEqual(0.3);
  });

  it('spreads addresses evenly and in proportion to weight', () => {
    const counts = new Map<string, number>();
    for (const address of addresses) {
      const id = rendezvousPick(address, four)?.id as string;
      counts.set(id, (counts.get(id) ?? 0) + 1);
    }
    for (const n of counts.values()) expect(Math.abs(n - 2500)).toBeLessThan(250);
    const weighted = [{ id: 'a', weight: 3 }, { id: 'b' }];
    const onA = addresses.filter((address) => rendezvousPick(address, weighted)?.id === 'a').length;
    expect(onA / addresses.length).toBeGreaterThan(0.7);
    expect(onA / addresses.length).toBeLessThan(0.8);
  });

  it('only moves the addresses of a removed backend', () => {
    const without = four.filter((b) => b.id !== 'b');
    for (const address of addresses.slice(0, 2000)) {
      const before = rendezvousPick(address, four)?.id;
      if (before !== 'b') expect(rendezvousPick(address, without)?.id).toBe(before);
    }
  });

  it('returns undefined without candidates', () => {
    expect(rendezvousPick('10.0.0.1', [])).toBeUndefined();
  });
});

describe('clientAddress', () => {
  const req = (remoteAddress: string, xff?: string) => ({
    socket: { remoteAddress },
    headers: xff ? { 'x-forwarded-for': xff } : {},
  });
  it('uses the socket address and ignores X-Forwarded-For without trustProxy', () => {
    expect(clientAddress(req('::ffff:127.0.0.5', '1.2.3.4'))).toBe('127.0.0.5');
    expect(clientAddress(req('::1', '1.2.3.4'), 0)).toBe('::1');
  });
  it('takes the hop trustProxy names, counting from the socket peer', () => {
    expect(clientAddress(req('10.0.0.1', '9.9.9.9, 1.2.3.4'), 1)).toBe('1.2.3.4');
    expect(clientAddress(req('10.0.0.1', '9.9.9.9, 1.2.3.4'), 2)).toBe('9.9.9.9');
    // More hops trusted than present: the leftmost address is the best there is.
    expect(clientAddress(req('10.0.0.1', '1.2.3.4'), 3)).toBe('1.2.3.4');
    expect(clientAddress(req('10.0.0.1'), 1)).toBe('10.0.0.1');
  });
});
