import { LRUCache } from 'lru-cache';
import { compareVersions, type HybridClock, type Version } from './clock.js';
import type { SidRecord } from './protocol.js';
import { isVisible, recordVersions, type SessionRecord } from './record.js';
import type { ReplicaState } from './replica-state.js';

/** What the `clock-drift` event reports: a node whose versions are ahead of this node's clock. */
export interface ClockDriftInfo {
  /** The node that made the refused change (from its version). */
  node: string;
  /** How far its version was ahead of this node's clock, in ms. */
  aheadMs: number;
  /** The connection it came on (the peer's node id). */
  from: string;
}

/** What a {@link RemoteApply} works on: the store's clock and state, and how it replicates and reports. */
export interface RemoteApplyOptions {
  nodeId: string;
  /** Versions further ahead of this node's clock than this, ms, are refused. */
  maxDriftMs: number;
  /** The store's `tombstoneTtlMs`. */
  tombstoneTtlMs: number;
  logger: { warn(message: string): void };
  clock: HybridClock;
  state: ReplicaState;
  /** A new tombstone of this node's clock. */
  tombstone: () => SessionRecord;
  /** Sends records made here to every peer, waiting for no acknowledgement. */
  replicate: (records: SidRecord[]) => void;
  /** Called once per node whose changes were first refused for drift, after the warning. */
  drift: (info: ClockDriftInfo) => void;
}

/**
 * The replication side of a node that receives: merges peers' records under the clock-drift
 * guard, and reports drift either way (peers' changes refused here, this node's refused there).
 */
export class RemoteApply {
  readonly #options: RemoteApplyOptions;
  /** Nodes whose changes were refused for clock drift (reported once each). */
  readonly #drifting = new Set<string>();
  /** Peers that refused this node's changes (reported once each). */
  readonly #refusedBy = new Set<string>();
  /** Refused destroys already applied here as local ones (`sid|version`), so a resent one is not applied again. */
  readonly #honoredDestroys = new LRUCache<string, true>({ max: 10_000, ttlAutopurge: false });

  constructor(options: RemoteApplyOptions) {
    this.#options = options;
  }

  /**
   * Merges records from a peer. A record carrying a version more than `maxDriftMs` ahead of this
   * node's clock is refused (reported once per node): applied, it would win every conflict and
   * stretch expiries and tombstones by the skew, and drag this node's clock along. A refused
   * destroy still ends the session here, as a destroy made by this node: a logout is never lost.
   * Returns how many records were refused.
   */
  apply(records: SidRecord[], from: string): number {
    const { clock, state } = this.#options;
    const now = Date.now();
    const limit = now + this.#options.maxDriftMs;
    let refused = 0;
    for (const [sid, record] of records) {
      const newest = newestVersion(record);
      if (newest[0] > limit) {
        refused++;
        this.#reportDrift({ node: newest[2], aheadMs: newest[0] - now, from });
        if (record.dead) this.#destroyHere(sid, record, now);
        continue;
      }
      for (const version of recordVersions(record)) clock.observe(version);
      state.apply(sid, record, now);
    }
    return refused;
  }

  /** Reports, once per peer, that `peer` refused `count` of this node's changes for clock drift. */
  refusedBy(peer: string, count: number): void {
    if (this.#refusedBy.has(peer)) return;
    this.#refusedBy.add(peer);
    this.#options.logger.warn(
      `[sessionkit/cluster ${this.#options.nodeId}] peer ${peer} refused ${count} change(s) from this node: their versions ` +
        'are ahead of its clock by more than maxDriftMs. One of the two clocks is wrong: fix it (NTP) and ' +
        'restart the node that had it; until then these writes stay on this node.',
    );
  }

  #reportDrift(info: ClockDriftInfo): void {
    if (this.#drifting.has(info.node)) return;
    this.#drifting.add(info.node);
    this.#options.logger.warn(
      `[sessionkit/cluster ${this.#options.nodeId}] refused changes from node ${info.node} (via ${info.from}): its clock is ` +
        `${Math.round(info.aheadMs / 1000)} s ahead of this node's, more than maxDriftMs (${this.#options.maxDriftMs} ms). ` +
        'Fix the clocks (NTP).',
    );
    this.#options.drift(info);
  }

  /**
   * Applies a refused destroy as one made by this node: ends the live session here with a
   * tombstone of this node's clock, replicated as usual. Once per destroy: anti-entropy resends
   * it while the other node keeps it, and a session started on this sid later is not ended again.
   */
  #destroyHere(sid: string, tombstone: SessionRecord, now: number): void {
    const { state, tombstoneTtlMs } = this.#options;
    const key = `${sid}|${tombstone.reset.join('/')}`;
    if (this.#honoredDestroys.has(key)) return;
    // Remembered as long as the other node may keep resending it (its tombstone's age counts from its clock).
    const ttl = Math.max(tombstoneTtlMs, tombstone.reset[0] + tombstoneTtlMs - now);
    this.#honoredDestroys.set(key, true, { ttl });
    const current = state.get(sid, now);
    if (!current || !isVisible(current, now)) return;
    const records: SidRecord[] = [[sid, this.#options.tombstone()]];
    state.apply(sid, records[0]![1], now);
    this.#options.replicate(records);
  }
}

/** The newest version a record carries. */
function newestVersion(record: SessionRecord): Version {
  let newest = record.reset;
  for (const version of recordVersions(record)) if (compareVersions(version, newest) > 0) newest = version;
  return newest;
}
