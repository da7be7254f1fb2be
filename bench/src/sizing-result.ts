/** Bytes one session takes at rest, by the engine's own measure. */
export interface AtRest {
  /**
   * Where the figure comes from: `used_memory` (Redis `INFO memory` delta / sessions),
   * `MEMORY USAGE (sampled keys)` (mean over sampled keys), `pg_total_relation_size` /
   * `pg_relation_size` (delta / sessions), `data_length` / `index_length` (MariaDB, after
   * ANALYZE TABLE, delta / sessions), `file_size` (SQLite after a checkpoint, delta / sessions),
   * `V8 heap` (heap used after full GC, delta / sessions), `store's own size accounting`.
   */
  method: string;
  bytesPerSession: number;
}

/** One store operation's cost between the app and the engine, averaged over the operations measured. */
export interface WireCost {
  /**
   * Commands or statements the driver sent per operation (an EVALSHA counts once). Each is a round
   * trip except where the store pipelines them (the near cache's HGETALL + PTTL on a miss).
   */
  roundTrips: number;
  /** Bytes from the app to the engine per operation (TCP payload, protocol framing included); absent for SQLite (no network). */
  bytesUp?: number;
  /** Bytes from the engine back to the app per operation. */
  bytesDown?: number;
  /** Replication frames sent per operation, over all peers (cluster store only; else 0). */
  frames: number;
}

/** What one write on a node of the replicated store sends each peer. */
export interface ReplicationCost {
  framesPerPeer: number;
  /** Bytes the writing node sends one peer per write (frame header, signature and payload). */
  bytesPerPeer: number;
  /** Bytes one peer sends back per write on that connection: its `ack` of each frame of changes (sent whatever the store's `ack` mode). */
  ackBytesPerPeer: number;
}

/** Sizing figures of one store. */
export interface SizingRow {
  id: string;
  /** Sessions written before measuring. */
  sessions: number;
  /** Sessions the store held after writing them (one more: the first write that creates the table). */
  held: number;
  /** Operations of each kind measured one at a time. */
  ops: number;
  atRest: AtRest[];
  /** `get` of an existing session. */
  get?: WireCost;
  /** Near cache: `get` of the same sessions again, once each has been read (warm cache). */
  getAgain?: WireCost;
  /** `patch` of one top-level key (`cart`). */
  patch?: WireCost;
  /** `set` of a whole session. */
  set?: WireCost;
  /** Cluster store: each write's fan-out from the writing node to its peers. */
  replication?: {
    peers: number;
    /** One write per event-loop turn: each goes out in a frame of its own. */
    patch: ReplicationCost;
    set: ReplicationCost;
    /** Sets made back to back: the writes of one event-loop turn share frames, as under load. */
    setBackToBack: ReplicationCost;
  };
}

export interface SizingResult {
  command: string;
  startedAt: string;
  sessions: number;
  ops: number;
  rows: SizingRow[];
  skipped: { id: string; reason: string }[];
  /** Engine versions, as in the machine description. */
  engines: Record<string, string>;
}
