import type { Table } from './report.js';
import type { SizingResult, SizingRow, WireCost } from './sizing-result.js';

const bytes = (value: number) => Math.round(value).toLocaleString('en-US');

/** The sizing tables: bytes at rest, cost per operation on the wire, replication fan-out. */
export function sizingTables(sizing: SizingResult): Table[] {
  const atRest: Table = {
    title: `Bytes per session at rest (${sizing.sessions.toLocaleString('en-US')} sessions written per store)`,
    headers: ['store', 'measured as', 'bytes per session'],
    rows: sizing.rows.flatMap((row) =>
      row.atRest.map((figure) => [row.id, figure.method, bytes(figure.bytesPerSession)]),
    ),
  };
  const wire: Table = {
    title: `Per operation between app and engine (mean of ${sizing.ops.toLocaleString('en-US')} each, one at a time)`,
    headers: ['store', 'operation', 'commands sent', 'bytes app → engine', 'bytes engine → app'],
    rows: sizing.rows.flatMap((row) =>
      (['get', 'getAgain', 'patch', 'set'] as const).flatMap((operation) => {
        const cost: WireCost | undefined = row[operation];
        return cost
          ? [
              [
                row.id,
                operation === 'getAgain' ? 'get, again (warm cache)' : operation,
                cost.roundTrips.toFixed(2),
                cost.bytesUp === undefined ? 'in-process' : bytes(cost.bytesUp),
                cost.bytesDown === undefined ? 'in-process' : bytes(cost.bytesDown),
              ],
            ]
          : [];
      }),
    ),
  };
  const replicated = sizing.rows.filter(
    (row): row is SizingRow & { replication: NonNullable<SizingRow['replication']> } => row.replication !== undefined,
  );
  const fanOut: Table = {
    title: 'Replication fan-out per write (cluster store; reads and writes are served from local memory)',
    headers: [
      'store',
      'write',
      'peers',
      'frames per peer',
      'bytes per peer',
      'bytes to all peers',
      'bytes back per peer',
    ],
    rows: replicated.flatMap((row) =>
      (['patch', 'set', 'setBackToBack'] as const).map((operation) => {
        const cost = row.replication[operation];
        return [
          row.id,
          operation === 'setBackToBack' ? 'set, back to back' : `${operation}, one per event-loop turn`,
          String(row.replication.peers),
          cost.framesPerPeer.toFixed(2),
          bytes(cost.bytesPerPeer),
          bytes(cost.bytesPerPeer * row.replication.peers),
          bytes(cost.ackBytesPerPeer),
        ];
      }),
    ),
  };
  const skipped: Table = {
    title: 'Not sized',
    headers: ['store', 'why'],
    rows: sizing.skipped.map((skip) => [skip.id, skip.reason]),
  };
  return [atRest, wire, fanOut, skipped].filter((table) => table.rows.length > 0);
}

/** Method notes for the docs' Sizing section. */
export function sizingNote(sizing: SizingResult): string {
  return `Measured by \`${sizing.command}\` (the sizing phase; \`pnpm bench --sizing\` runs it alone in about two minutes and writes \`bench/results/sizing.json\`), started ${sizing.startedAt}. Each store in a fresh process writes ${sizing.sessions.toLocaleString('en-US')} of the bench's sample cart sessions through its own API (16 in flight), then runs ${sizing.ops.toLocaleString('en-US')} gets, one-key patches (\`cart\`) and whole-session sets one at a time. **At rest**: Redis \`INFO memory\` \`used_memory\` delta and \`MEMORY USAGE key SAMPLES 0\` of 200 keys, on a redis-server started for the phase; PostgreSQL \`pg_total_relation_size\` (table, TOAST and indexes) and \`pg_relation_size\` (table only) deltas; MariaDB \`data_length\` and \`index_length\` deltas after \`ANALYZE TABLE\`; SQLite file size delta after \`wal_checkpoint(TRUNCATE)\`; memory and cluster: V8 heap used after full GC (delta), and the store's own size accounting (what \`maxSizeBytes\` is checked against). **On the wire**: the driver's connection runs through a byte-counting TCP relay in the measuring process (TCP payload, protocol framing included, TCP/IP headers not), commands are the commands or statements the driver sent (an EVALSHA counts once; each is a round trip, except the near cache's HGETALL + PTTL on a miss, sent together in one). **Fan-out**: node 0 of a fresh 3-node cluster reaches each peer through its own relay (a node sends its changes on its outbound connections only), frames counted from the links' 4-byte length prefixes, the bytes back being the peer's \`ack\` of each frame; writes either one per event-loop turn (each flushed in a frame of its own, as on a lightly loaded node) or back to back (the writes of one turn share frames, as under load); anti-entropy, every 5 s by default, is turned off for the measurement, as a cost per interval rather than per write. The arithmetic for 1M sessions × 50 instances is in [scaling.md](scaling.md).`;
}
