import { rendezvousPick } from './hashing.js';
import type { Strategy } from './options.js';

export interface Candidate {
  id: string;
  weight: number;
  /** In-flight requests plus open WebSocket tunnels. */
  connections: number;
}

/** Picks a backend for a client that is not pinned. `candidates` is never empty. */
export type Picker = <C extends Candidate>(candidates: readonly C[], clientAddress: string) => C;

/**
 * Smooth weighted round-robin (nginx's algorithm): each pick adds every candidate's weight to its
 * running score, takes the highest and subtracts the total. Weights 5,1,1 give a a b a c a a,
 * not a a a a a b c, and equal weights give strict rotation.
 */
function roundRobin(): Picker {
  const current = new Map<string, number>();
  return <C extends Candidate>(candidates: readonly C[]): C => {
    let total = 0;
    let best = candidates[0]!;
    let bestScore = -Infinity;
    for (const c of candidates) {
      const score = (current.get(c.id) ?? 0) + c.weight;
      current.set(c.id, score);
      total += c.weight;
      if (score > bestScore) {
        best = c;
        bestScore = score;
      }
    }
    current.set(best.id, bestScore - total);
    return best;
  };
}

/** Fewest connections per unit of weight; ties go round-robin so idle backends share evenly. */
function leastConnections(): Picker {
  const tieBreak = roundRobin();
  return <C extends Candidate>(candidates: readonly C[], address: string): C => {
    const load = (c: Candidate) => c.connections / c.weight;
    const min = Math.min(...candidates.map(load));
    return tieBreak(
      candidates.filter((c) => load(c) === min),
      address,
    );
  };
}

const ipHash: Picker = (candidates, address) => rendezvousPick(address, candidates)!;

export function createPicker(strategy: Strategy): Picker {
  if (strategy === 'round-robin') return roundRobin();
  if (strategy === 'least-connections') return leastConnections();
  return ipHash;
}
