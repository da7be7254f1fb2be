import { createHash } from 'node:crypto';

/** A candidate for rendezvous hashing. */
export interface WeightedId {
  id: string;
  weight?: number;
}

const TWO_POW_48 = 2 ** 48;

/**
 * Weighted rendezvous (highest-random-weight) hashing: every candidate scores
 * `-weight / ln(u)` where `u` in (0, 1) comes from SHA-256 of `id` and `key`; the highest score
 * wins. Adding one candidate to N only moves the keys the new one now wins, about 1/(N+1) of them,
 * and removing one only moves its own keys. Returns undefined for an empty list.
 */
export function rendezvousPick<T extends WeightedId>(key: string, candidates: readonly T[]): T | undefined {
  let best: T | undefined;
  let bestScore = -Infinity;
  for (const candidate of candidates) {
    const digest = createHash('sha256').update(candidate.id).update('\0').update(key).digest();
    const u = (digest.readUIntBE(0, 6) + 0.5) / TWO_POW_48;
    const score = -(candidate.weight ?? 1) / Math.log(u);
    if (score > bestScore || (score === bestScore && best !== undefined && candidate.id < best.id)) {
      best = candidate;
      bestScore = score;
    }
  }
  return best;
}
