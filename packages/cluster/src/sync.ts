import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import type { Link } from './link.js';
import { chunkRecords } from './outbox.js';
import type { Peer } from './peers.js';
import type { Message, SidRecord } from './protocol.js';
import { BUCKETS, type ReplicaState } from './replica-state.js';

export interface SyncOptions {
  state: ReplicaState;
  maxFrameBytes: number;
  antiEntropyIntervalMs: number;
  joinTimeoutMs: number;
  /** The outbound connections, open or not, that digests go out on. */
  links(): Iterable<Link | undefined>;
  /** Runs before each anti-entropy round (the expiry sweep). */
  beforeAntiEntropy(): void;
}

/**
 * State transfer between nodes: the join (pull the full state from the first peer that answers,
 * or give up after `joinTimeoutMs`), anti-entropy (exchange bucket digests every
 * `antiEntropyIntervalMs`, when a connection opens after the join, and when one closes; each side
 * streams the records of differing buckets), and answering other nodes' `sync` requests in
 * chunks, yielding between chunks and sending no faster than the peer reads.
 */
export class Sync {
  readonly #options: SyncOptions;
  readonly #joinSyncs = new Map<number, Peer>();
  /** Links `rec` streams are being sent on, with how many. */
  readonly #streaming = new Map<Link, number>();
  readonly #joined: Promise<void>;
  #finishJoin: () => void = () => {};
  #isJoined = false;
  #joinTimer: NodeJS.Timeout | undefined;
  #joinTimedOut = false;
  #antiEntropy: NodeJS.Timeout | undefined;
  #nextSyncId = 0;

  constructor(options: SyncOptions) {
    this.#options = options;
    this.#joined = new Promise<void>((resolve) => {
      this.#finishJoin = () => {
        this.#isJoined = true;
        clearTimeout(this.#joinTimer);
        resolve();
      };
    });
  }

  /**
   * Starts the anti-entropy timer and the join; resolves once joined. With no peer to join from,
   * at once; else when the first full-state transfer completes, or after `joinTimeoutMs` once no
   * transfer is under way.
   */
  start(remotePeers: number): Promise<void> {
    this.#antiEntropy = setInterval(() => this.antiEntropy(), this.#options.antiEntropyIntervalMs).unref();
    if (remotePeers === 0) this.#finishJoin();
    else {
      this.#joinTimer = setTimeout(() => {
        this.#joinTimedOut = true;
        if (this.#joinSyncs.size === 0) this.#finishJoin();
      }, this.#options.joinTimeoutMs).unref();
    }
    return this.#joined;
  }

  /** Runs one anti-entropy round now: sends this node's digests to every connected peer (once joined). */
  antiEntropy(): void {
    this.#options.beforeAntiEntropy();
    this.sendDigests();
  }

  /** Sends this node's digests to every connected peer (once joined). */
  sendDigests(): void {
    if (!this.#isJoined) return;
    const d = this.#options.state.digests();
    for (const link of this.#options.links()) link?.send({ t: 'digest', d });
  }

  /** An outbound connection opened: pull the full state while joining, else catch up by digests. */
  peerUp(peer: Peer, link: Link): void {
    if (!this.#isJoined) {
      const id = ++this.#nextSyncId;
      this.#joinSyncs.set(id, peer);
      link.send({ t: 'sync', id });
    } else {
      // Catch up on what this node missed while the link was down.
      link.send({ t: 'digest', d: this.#options.state.digests() });
    }
  }

  /** An outbound connection closed: a join transfer on it will not complete. */
  peerGone(peer: Peer): void {
    for (const [id, syncPeer] of this.#joinSyncs) if (syncPeer === peer) this.#joinSyncs.delete(id);
    if (!this.#isJoined && this.#joinTimedOut && this.#joinSyncs.size === 0) this.#finishJoin();
  }

  /** Handles `sync`, `synced` and `digest` from the other side of `link`. */
  handle(link: Link, message: Extract<Message, { t: 'sync' | 'synced' | 'digest' }>): void {
    switch (message.t) {
      case 'sync':
        void this.#stream(link, message.b === undefined ? undefined : new Set(message.b), message.id);
        return;
      case 'synced':
        if (this.#joinSyncs.delete(message.id) && !this.#isJoined) this.#finishJoin();
        return;
      case 'digest': {
        // While joining, the full state is on its way; while a stream to this peer runs, the
        // next round will see what it repaired.
        if (!this.#isJoined || this.#streaming.has(link)) return;
        const mine = this.#options.state.digests();
        const differing = new Set<number>();
        for (let b = 0; b < BUCKETS; b++) if (mine[b] !== message.d[b]) differing.add(b);
        if (differing.size === 0) return;
        link.send({ t: 'sync', id: ++this.#nextSyncId, b: [...differing] });
        void this.#stream(link, differing);
        return;
      }
    }
  }

  /** Stops the timers; a join still waiting resolves. */
  close(): void {
    clearInterval(this.#antiEntropy);
    clearTimeout(this.#joinTimer);
    this.#finishJoin();
  }

  /** Sends every record in `buckets` (all when undefined) in chunks, yielding between chunks. */
  async #stream(link: Link, buckets: Set<number> | undefined, syncId?: number): Promise<void> {
    this.#streaming.set(link, (this.#streaming.get(link) ?? 0) + 1);
    try {
      await this.#streamRecords(link, buckets);
    } finally {
      const left = this.#streaming.get(link)! - 1;
      if (left) this.#streaming.set(link, left);
      else this.#streaming.delete(link);
    }
    if (syncId !== undefined) link.send({ t: 'synced', id: syncId });
  }

  async #streamRecords(link: Link, buckets: Set<number> | undefined): Promise<void> {
    const state = this.#options.state;
    const sids = buckets ? state.sidsIn(buckets) : state.sids();
    const records: SidRecord[] = [];
    for (const sid of sids) {
      const record = state.get(sid);
      if (record) records.push([sid, record]);
    }
    for (const r of chunkRecords(records, this.#options.maxFrameBytes)) {
      if (!link.open) return;
      link.send({ t: 'rec', r });
      // Let the node serve between chunks, and send no faster than the peer reads.
      await yieldToEventLoop();
      await link.drained();
    }
  }
}
