import { StoreUnavailableError } from '@sessionkit/core';
import type { Peer } from './peers.js';
import type { SidRecord } from './protocol.js';
import type { SessionRecord } from './record.js';

/** How many acknowledgements a write waits for: none, one peer, or every configured peer. */
export type AckMode = 'none' | 'one' | 'all';

/** One write waiting for acknowledgements. */
interface Waiter {
  needed: number;
  acks: number;
  /** Peers the change was sent to that may still acknowledge it. */
  pending: number;
  settle(err?: Error): void;
}

/** What is queued for, and waited on from, one peer. */
interface PeerQueue {
  /** Changes to send at the next flush, with the writes waiting on them. */
  batch: { records: SidRecord[]; waiters: Waiter[] } | undefined;
  /** Sequence number of the last `ops` frame sent. */
  seq: number;
  /** seq → [sent at (ms), waiters]. */
  inFlight: Map<number, [number, Waiter[]]>;
  /** Smoothed replication lag in ms, `null` until measured. */
  lagMs: number | null;
}

export interface OutboxOptions {
  operationTimeoutMs: number;
  maxFrameBytes: number;
  /** A peer refused `count` records of a batch (their versions are ahead of its clock). */
  onRefused(peer: Peer, count: number): void;
}

const CHUNK_RECORDS = 500;

/**
 * Changes made on this node on their way to its peers: batched per event-loop turn per peer, sent
 * as `ops` frames over the outbound connection, and the writes that wait for acknowledgements
 * (`ack: 'one' | 'all'`) settled as `ack` frames come back, or fail when a peer goes away first.
 * Changes are not queued for a disconnected peer: the join or anti-entropy repairs them.
 */
export class Outbox {
  readonly #options: OutboxOptions;
  readonly #queues = new Map<Peer, PeerQueue>();
  #flushScheduled = false;

  constructor(options: OutboxOptions) {
    this.#options = options;
  }

  /** Smoothed time from sending a change to `peer` to its acknowledgement, `null` until measured. */
  lagMs(peer: Peer): number | null {
    return this.#queues.get(peer)?.lagMs ?? null;
  }

  /**
   * Queues changes for every peer in `targets` (the connected ones) and resolves once `ack` of
   * the `configured` peers have applied them. Rejects with `StoreUnavailableError` when fewer
   * peers than needed are connected, or when those that were sent the change cannot all answer.
   */
  replicate(records: SidRecord[], ack: AckMode, targets: Peer[], configured: number): Promise<void> {
    const needed = ack === 'none' ? 0 : ack === 'one' ? Math.min(1, configured) : configured;
    let waiter: Waiter | undefined;
    let result: Promise<void> = Promise.resolve();
    if (needed > targets.length) {
      result = Promise.reject(
        new StoreUnavailableError(
          `ack '${ack}' needs ${needed} peer(s) but ${targets.length} of ${configured} are connected; the change was ` +
            'applied on this node and reaches the others by anti-entropy when they are back',
        ),
      );
    } else if (needed > 0) {
      result = new Promise<void>((resolve, reject) => {
        const { operationTimeoutMs } = this.#options;
        const timer = setTimeout(() => {
          const got = `${w.acks} of ${needed} acknowledgement(s) within ${operationTimeoutMs} ms`;
          w.settle(new StoreUnavailableError(`ack '${ack}': ${got}`));
        }, operationTimeoutMs).unref();
        const w: Waiter = {
          needed,
          acks: 0,
          pending: targets.length,
          settle: (err) => {
            clearTimeout(timer);
            w.settle = () => {};
            if (err) reject(err);
            else resolve();
          },
        };
        waiter = w;
      });
    }
    for (const peer of targets) {
      const queue = this.#queue(peer);
      queue.batch ??= { records: [], waiters: [] };
      for (const record of records) queue.batch.records.push(record);
      if (waiter) queue.batch.waiters.push(waiter);
    }
    if (!this.#flushScheduled && targets.length) {
      this.#flushScheduled = true;
      setImmediate(() => this.#flush());
    }
    return result;
  }

  /** An `ack` from `peer`: the writes of that batch count it, unless it refused some records. */
  acknowledged(peer: Peer, seq: number, refused: number | undefined): void {
    const queue = this.#queues.get(peer);
    const entry = queue?.inFlight.get(seq);
    if (!queue || !entry) return;
    queue.inFlight.delete(seq);
    const lag = Date.now() - entry[0];
    queue.lagMs = queue.lagMs === null ? lag : queue.lagMs * 0.8 + lag * 0.2;
    if (refused) {
      this.#options.onRefused(peer, refused);
      const reason =
        `peer ${peer.address} refused the change: its versions are ahead of the peer's clock by more than ` +
        "maxDriftMs (check this node's clock)";
      for (const waiter of entry[1]) fail(waiter, reason);
      return;
    }
    for (const waiter of entry[1]) if (++waiter.acks >= waiter.needed) waiter.settle();
  }

  /** `peer`'s connection closed: changes waiting for its acknowledgement can no longer get it. */
  abandon(peer: Peer): void {
    const queue = this.#queues.get(peer);
    if (!queue) return;
    const waiters = [...(queue.batch?.waiters ?? []), ...[...queue.inFlight.values()].flatMap(([, w]) => w)];
    queue.batch = undefined;
    queue.inFlight.clear();
    const reason = `peer ${peer.address} disconnected before acknowledging the change; it reaches the peer by anti-entropy`;
    for (const waiter of waiters) fail(waiter, reason);
  }

  #queue(peer: Peer): PeerQueue {
    let queue = this.#queues.get(peer);
    if (!queue) {
      queue = { batch: undefined, seq: 0, inFlight: new Map(), lagMs: null };
      this.#queues.set(peer, queue);
    }
    return queue;
  }

  #flush(): void {
    this.#flushScheduled = false;
    for (const [peer, queue] of this.#queues) {
      const batch = queue.batch;
      if (!batch) continue;
      queue.batch = undefined;
      const link = peer.link;
      if (!link?.open) {
        for (const waiter of batch.waiters) fail(waiter, `peer ${peer.address} disconnected`);
        continue;
      }
      const chunks = [...chunkRecords(batch.records, this.#options.maxFrameBytes)];
      const first = queue.seq + 1;
      queue.seq += chunks.length;
      // Waiters count as acknowledged by this peer when the last frame of the batch is. Registered
      // before sending, so a link that fails in the middle of the batch settles them.
      queue.inFlight.set(queue.seq, [Date.now(), batch.waiters]);
      for (const [i, r] of chunks.entries()) link.send({ t: 'ops', seq: first + i, r });
    }
  }
}

/** One peer that was sent the change will not acknowledge it: fails the write once it cannot succeed. */
function fail(waiter: Waiter, reason: string): void {
  if (--waiter.pending + waiter.acks < waiter.needed) waiter.settle(new StoreUnavailableError(reason));
}

/** Splits records into frames that stay well under `maxFrameBytes`. */
export function* chunkRecords(records: SidRecord[], maxFrameBytes: number): Iterable<SidRecord[]> {
  const limit = maxFrameBytes / 2;
  let chunk: SidRecord[] = [];
  let bytes = 0;
  for (const item of records) {
    const size = estimateBytes(item[1]);
    if (chunk.length && (chunk.length >= CHUNK_RECORDS || bytes + size > limit)) {
      yield chunk;
      chunk = [];
      bytes = 0;
    }
    chunk.push(item);
    bytes += size;
  }
  if (chunk.length) yield chunk;
}

/** Upper bound of a record's size in a frame: 3 UTF-8 bytes per character, doubled for JSON escaping. */
function estimateBytes(record: SessionRecord): number {
  let bytes = 128;
  for (const [key, entry] of Object.entries(record.keys)) {
    bytes += 3 * key.length + 2 * 3 * (entry.json?.length ?? 0) + 64;
  }
  return bytes;
}
