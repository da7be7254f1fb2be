/**
 * A version: `[wallMs, counter, nodeId]` from a hybrid logical clock. Versions compare by wall
 * time, then counter, then node id, so two writes never tie and every node orders them the same way.
 */
export type Version = [wallMs: number, counter: number, node: string];

/** Orders before every real version: the base of a session created by `patch`. */
export const ZERO: Version = [0, 0, ''];

/** Negative when `a` is older than `b`, positive when newer, 0 when equal. */
export function compareVersions(a: Version, b: Version): number {
  if (a[0] !== b[0]) return a[0] - b[0];
  if (a[1] !== b[1]) return a[1] - b[1];
  return a[2] < b[2] ? -1 : a[2] > b[2] ? 1 : 0;
}

/**
 * Hybrid logical clock (Kulkarni et al., 2014): close to wall time, yet strictly increasing on each
 * node and never behind a version the node has seen, so a write made after seeing another write
 * always carries the higher version, even when the wall clocks of two nodes differ a little.
 */
export class HybridClock {
  #wall = 0;
  #counter = 0;
  readonly #now: () => number;

  constructor(
    readonly node: string,
    now: () => number = Date.now,
  ) {
    this.#now = now;
  }

  /** A new version, newer than every version this clock issued or observed. */
  tick(): Version {
    const physical = this.#now();
    if (physical > this.#wall) {
      this.#wall = physical;
      this.#counter = 0;
    } else {
      this.#counter++;
    }
    return [this.#wall, this.#counter, this.node];
  }

  /** Moves the clock past a version received from a peer. */
  observe(version: Version): void {
    if (version[0] > this.#wall || (version[0] === this.#wall && version[1] > this.#counter)) {
      this.#wall = version[0];
      this.#counter = version[1];
    }
  }
}
