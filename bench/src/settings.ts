import type { Settings } from './results.js';

// autocannon ends a run on its one-second tick, so windows are whole seconds.

/**
 * `pnpm bench`: about 15 minutes on a 2-core machine. Six rounds, so the order of ours and theirs
 * is each way round three times, and a ratio is the median of six per-round ratios.
 */
export const FULL: Settings = {
  rounds: 6,
  windowS: 3,
  warmupS: 2,
  connections: 16,
  sessions: 1000,
  opsWindowS: 1,
  opsConcurrency: 64,
  apiRounds: 10,
  apiTimeMs: 300,
  apiBatch: 16,
  apiSessions: 1000,
  footprintSteps: [100_000, 200_000, 300_000],
  footprintMax: 100_000,
  lagSamples: 1000,
};

/** `pnpm bench --quick`: about 2 minutes; one round of short windows, to check everything runs. */
export const QUICK: Settings = {
  rounds: 1,
  windowS: 1,
  warmupS: 0,
  connections: 16,
  sessions: 500,
  opsWindowS: 0.4,
  opsConcurrency: 64,
  apiRounds: 3,
  apiTimeMs: 100,
  apiBatch: 16,
  apiSessions: 500,
  footprintSteps: [25_000, 50_000],
  footprintMax: 25_000,
  lagSamples: 200,
};
