import { describe, expect, it } from 'vitest';
import { renderDocs } from '../src/docs.js';
import type { Results } from '../src/results.js';
import { FULL } from '../src/settings.js';
import type { SizingResult } from '../src/sizing-result.js';
import { sizingTables } from '../src/sizing-report.js';

const sizing: SizingResult = {
  command: 'pnpm bench --sizing',
  startedAt: '2026-01-01T00:00:00.000Z',
  sessions: 10_000,
  ops: 1000,
  engines: { redis: 'Redis 7.0.15' },
  skipped: [{ id: 'sql:mysql', reason: 'MySQL/MariaDB not reachable' }],
  rows: [
    {
      id: 'redis-hash',
      sessions: 10_000,
      held: 10_001,
      ops: 1000,
      atRest: [
        { method: 'used_memory', bytesPerSession: 623.7 },
        { method: 'MEMORY USAGE (sampled keys)', bytesPerSession: 508 },
      ],
      get: { roundTrips: 1, bytesUp: 61, bytesDown: 233, frames: 0 },
      patch: { roundTrips: 1, bytesUp: 249, bytesDown: 4, frames: 0 },
      set: { roundTrips: 1, bytesUp: 402, bytesDown: 4, frames: 0 },
    },
    {
      id: 'sql:sqlite',
      sessions: 10_000,
      held: 10_001,
      ops: 1000,
      atRest: [{ method: 'file_size', bytesPerSession: 315 }],
      get: { roundTrips: 1, frames: 0 },
    },
    {
      id: 'cluster',
      sessions: 10_000,
      held: 10_001,
      ops: 1000,
      atRest: [{ method: 'V8 heap', bytesPerSession: 778 }],
      replication: {
        peers: 2,
        patch: { framesPerPeer: 1, bytesPerPeer: 299, ackBytesPerPeer: 57 },
        set: { framesPerPeer: 1, bytesPerPeer: 580, ackBytesPerPeer: 57 },
        setBackToBack: { framesPerPeer: 0.01, bytesPerPeer: 521, ackBytesPerPeer: 0.6 },
      },
    },
  ],
};

describe('sizing tables', () => {
  it('gives bytes at rest, per-operation wire cost and the fan-out to all peers', () => {
    const [atRest, wire, fanOut, skipped] = sizingTables(sizing);
    expect(atRest!.rows).toContainEqual(['redis-hash', 'used_memory', '624']);
    expect(wire!.rows).toContainEqual(['redis-hash', 'patch', '1.00', '249', '4']);
    // SQLite has no network between app and engine.
    expect(wire!.rows).toContainEqual(['sql:sqlite', 'get', '1.00', 'in-process', 'in-process']);
    // The cluster row has no engine round trips, only replication.
    expect(wire!.rows.some((row) => row[0] === 'cluster')).toBe(false);
    expect(fanOut!.rows).toContainEqual(['cluster', 'set, one per event-loop turn', '2', '1.00', '580', '1,160', '57']);
    expect(skipped!.rows).toEqual([['sql:mysql', 'MySQL/MariaDB not reachable']]);
  });

  it('puts a Sizing section in the docs only when the run has sizing figures', () => {
    const results: Results = {
      command: 'pnpm bench',
      mode: 'full',
      startedAt: '2026-01-01T00:00:00.000Z',
      elapsedS: 900,
      machine: { cpu: 'test cpu', cores: 2, memoryGiB: 4, os: 'linux', node: 'v22', engines: {} },
      settings: FULL,
      stores: [],
      skipped: [],
    };
    expect(renderDocs(results, 'benchmarks.svg', '/nonexistent')).not.toContain('## Sizing');
    const page = renderDocs({ ...results, sizing }, 'benchmarks.svg', '/nonexistent');
    expect(page).toContain('## Sizing');
    expect(page).toContain('| redis-hash | used_memory | 624 |');
    expect(page).toContain('[scaling.md](scaling.md)');
  });
});
