import type { Settings } from './results.js';

// autocannon ends a run on its one-second tick, so windows are whole seconds.

/** `pnpm bench`: under 15 minutes on a 2-core machine. */
export const FULL: Settings = {
  rounds: 3,
  windowS: 5,
  warmupS: 2,
  connections: 16,
  sessions: 1000,
  opsWindowS: 2,
  opsConcurrency: 64,
  footprintSteps: [100_000, 200_000, 300_000],
  footprintMax: 100_000,
  lagSamples: 1000,
};

/** `pnpm bench --quick`: under 2 minutes; one round of short windows, to check everything runs. */
export const QUICK: Settings = {
  rounds: 1,
  windowS: 1,
  warmupS: 0,
  connections: 16,
  sessions: 500,
  opsWindowS: 0.4,
  opsConcurrency: 64,
  footprintSteps: [25_000, 50_000],
  footprintMax: 25_000,
  lagSamples: 200,
};
