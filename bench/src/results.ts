import type { Side } from './catalog.js';
import type { SizingResult } from './sizing-result.js';
import type { Operation } from './ops.js';
import type { RatioSummary } from './stats.js';

/** One autocannon window of one request kind on one store, with the server's own counters. */
export interface WindowSample {
  /** The round it was measured in (0-based); ratios pair ours and theirs of the same round. */
  round?: number;
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  failures: number;
  /** Requests the server received in the window. */
  requests: number;
  /** Server process CPU time (user + system) in the window, microseconds. */
  cpuMicros: number;
  /** Header bytes the server received and sent in the window (fields only: `name: value` + CRLF). */
  requestHeaderBytes?: number;
  responseHeaderBytes?: number;
  /** SQL statements or Redis commands the server's driver sent in the window (SQL and Redis stores). */
  sent?: number;
  /**
   * What the server executed in the window, per command: Redis `INFO commandstats` (Redis stores),
   * MariaDB global `Com_*` counters (MySQL stores; they count every client of the server).
   */
  executed?: Record<string, number>;
}

/** Medians over the rounds for one request kind; per-request counts are totals over all rounds. */
export interface KindSummary {
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  /** Median over the windows of the server's process CPU time divided by the requests it served. */
  cpuMicrosPerRequest: number;
  /** Lowest and highest CPU per request of one window. */
  cpuMicrosPerRequestRange?: [number, number];
  failures: number;
  /** Request and response header bytes per request (totals over the rounds / requests). */
  requestHeaderBytesPerRequest?: number;
  responseHeaderBytesPerRequest?: number;
  /** SQL statements or Redis commands the server sent per request (round trips, one per EVALSHA). */
  sentPerRequest?: number;
  /** What the server executed per request, by command (see {@link WindowSample.executed}), e.g. `{ hgetall: 1 }`. */
  executedPerRequest?: Record<string, number>;
}

export interface HttpResult {
  read: KindSummary;
  write: KindSummary;
  samples: { read: WindowSample[]; write: WindowSample[] };
}

export interface FootprintStep {
  /** Sessions written so far. */
  inserted: number;
  /** Sessions the store holds after the writes. */
  held: number;
  /** Resident set size growth since before the first write, MiB (after a full GC). */
  rssMiB: number;
  /** V8 heap used growth since before the first write, MiB (after a full GC). */
  heapMiB: number;
}

export interface LagResult {
  samples: number;
  /** Writes not visible on B within 5 s (counted apart, not in the percentiles). */
  lost: number;
  medianMs: number;
  p99Ms: number;
  maxMs: number;
}

export interface StoreRow {
  id: string;
  side: Side;
  description: string;
  http?: HttpResult;
  /** Store-level operations per second at the configured concurrency. */
  ops?: Partial<Record<Operation, number>>;
  opsErrors?: number;
  footprint?: FootprintStep[];
}

export interface Settings {
  /** HTTP rounds: every store's read and write window once per round. */
  rounds: number;
  windowS: number;
  warmupS: number;
  connections: number;
  sessions: number;
  opsWindowS: number;
  opsConcurrency: number;
  /** Store API micro-benchmark: rounds, tinybench time per task and round (ms), calls in flight per iteration, sessions. */
  apiRounds: number;
  apiTimeMs: number;
  apiBatch: number;
  apiSessions: number;
  footprintSteps: number[];
  /** Sessions our in-process stores are configured to hold in the memory measurement. */
  footprintMax: number;
  lagSamples: number;
}

export interface Machine {
  cpu: string;
  cores: number;
  memoryGiB: number;
  os: string;
  node: string;
  engines: Record<string, string>;
}

/**
 * `latest.json` for a complete full run with the standard settings (the one the docs are made
 * from), `scratch.json` for any other: quick, `--only`, `--rounds`, or `--profile` (the profiler
 * slows the servers it profiles).
 */
export function resultsFileName(results: Pick<Results, 'mode' | 'command'>): string {
  return results.mode === 'full' && !/--(only|rounds|profile)/.test(results.command) ? 'latest.json' : 'scratch.json';
}

/** express-session's callback Store API calls the micro-benchmark makes. */
export type ApiOperation = 'get' | 'touch' | 'set';

/** One tinybench task: one store, one operation, one round. */
export interface ApiSample {
  round: number;
  /** Completed calls per second (`apiBatch` calls in flight per iteration). */
  opsPerSecond: number;
  /** Process CPU time (user + system) per call over the measured iterations, microseconds. */
  cpuMicrosPerCall: number;
  /** Calls measured. */
  calls: number;
}

/** Both stores of one comparison in the Store API micro-benchmark. */
export interface StoreApiPair {
  ours: string;
  theirs: string;
  samples: Partial<Record<ApiOperation, { ours: ApiSample[]; theirs: ApiSample[] }>>;
}

export interface StoreApiResult {
  pairs: StoreApiPair[];
  /** Comparisons not measured, with the reason. */
  skipped: { comparison: string; reason: string }[];
}

/** Per-round ratios of one comparison and request kind (also in the results file, computed from the samples). */
export interface KindRatios {
  requestsPerSecond: RatioSummary;
  cpuMicrosPerRequest: RatioSummary;
}

export interface ComparisonRatios {
  ours: string;
  theirs: string;
  read: KindRatios;
  write: KindRatios;
}

export interface Results {
  command: string;
  mode: 'full' | 'quick';
  startedAt: string;
  elapsedS: number;
  machine: Machine;
  settings: Settings;
  stores: StoreRow[];
  skipped: { id: string; reason: string }[];
  lag?: LagResult;
  /** Why the replication lag was not measured, when it was not. */
  lagSkipped?: string;
  /** In-process Store API micro-benchmark (express-session's callback API, interleaved per round). */
  storeApi?: StoreApiResult;
  /** HTTP ratios of every comparison measured: medians of per-round ratios (derived from `stores`). */
  ratios?: ComparisonRatios[];
  /** Bytes per session at rest and per operation on the wire (sizing phase), when measured. */
  sizing?: SizingResult;
}

/** The row of store `id` in `results`; `undefined` when it was not measured. */
export function storeRow(results: Results, id: string): StoreRow | undefined {
  return results.stores.find((row) => row.id === id);
}
