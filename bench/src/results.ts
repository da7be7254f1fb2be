import type { Side } from './catalog.js';
import type { Operation } from './ops.js';

/** One autocannon window of one request kind on one store, with the server's own counters. */
export interface WindowSample {
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
  cpuMicrosPerRequest: number;
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
  rounds: number;
  windowS: number;
  warmupS: number;
  connections: number;
  sessions: number;
  opsWindowS: number;
  opsConcurrency: number;
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

/** `latest.json` for a complete full run (the one the docs are made from), `scratch.json` for any other. */
export function resultsFileName(results: Pick<Results, 'mode' | 'command'>): string {
  return results.mode === 'full' && !results.command.includes('--only') ? 'latest.json' : 'scratch.json';
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
}
