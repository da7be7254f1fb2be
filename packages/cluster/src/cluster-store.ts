import {
  AbstractSessionStore,
  SessionTooLargeError,
  byteLength,
  decodeSession,
  type SessionChange,
  type SessionData,
} from '@sessionkit/core';
import { HybridClock, ZERO } from './clock.js';
import { Mesh, type AckMode, type PeerInfo } from './mesh.js';
import { resolveOptions, type ReplicatedSessionStoreOptions } from './options.js';
import type { SidRecord } from './protocol.js';
import { emptyKeys, isVisible, mergeRecords, recordJson, type SessionRecord } from './record.js';
import { RemoteApply } from './remote-apply.js';
import { ReplicaState } from './replica-state.js';

export type { ClockDriftInfo } from './remote-apply.js';

/**
 * A session store replicated between the instances of an app, with no external server: every node
 * holds every session in memory (lru-cache) and sends each change to all its peers over
 * authenticated TCP, so a request can land on any instance.
 *
 * Each top-level key carries a hybrid-logical-clock version; every node keeps the newer version
 * of each key (last writer wins), so all nodes converge whatever order changes arrive in.
 * `destroy` leaves a tombstone for `tombstoneTtlMs` that beats late patches and touches; an
 * explicit `set` after it starts a new session. Writes apply locally at once and reach peers
 * about one network round trip later (the consistency window); `ack` makes writes wait for peers.
 *
 * Start: the constructor begins listening; `ready()` resolves once the node has pulled the full
 * state from one live peer, or after `joinTimeoutMs` when no peer answered (the first node of a
 * cluster). Anti-entropy repairs what a node missed while a link was down.
 *
 * Principal index: each node files every session it holds under its principal as the record
 * comes in, from a local write or from a peer, so any node answers `idsByPrincipal` (O(sessions
 * of that user)) and `destroyByPrincipal`, which tombstones them all in one replicated batch.
 *
 * Events (besides `connect`, `disconnect`, `error`): `peer-up(PeerInfo)`, `peer-down(PeerInfo)`,
 * `clock-drift(ClockDriftInfo)` the first time a node's changes are refused for being ahead of this
 * node's clock by more than `maxDriftMs`. Lifecycle events, at most once per node: `created` and
 * `destroyed` on the node whose call made or ended the session (`destroy`, `destroyByPrincipal`,
 * `ttlMs <= 0`), not on the nodes it replicates to; `expired` on every node whose read or sweep
 * (every anti-entropy round, and `prune()`) drops its copy of a session past its TTL.
 *
 * @example
 * const store = new ReplicatedSessionStore({
 *   listen: '10.0.0.5:7400',
 *   peers: ['10.0.0.5:7400', '10.0.0.6:7400', '10.0.0.7:7400'],
 *   secret: process.env.CLUSTER_SECRET, // the same on every node, 16+ characters
 *   ack: 'one', // a write resolves once one peer holds it
 * });
 * await store.ready();
 */
export class ReplicatedSessionStore extends AbstractSessionStore {
  readonly name = 'cluster';
  /** This node's id in the cluster. */
  readonly nodeId: string;
  readonly #ack: AckMode;
  readonly #clock: HybridClock;
  readonly #state: ReplicaState;
  readonly #mesh: Mesh;
  readonly #ready: Promise<void>;
  /** Peers' records, merged under the clock-drift guard. */
  readonly #remote: RemoteApply;

  /** @throws StoreConfigError for an invalid option or a missing secret. */
  constructor(options: ReplicatedSessionStoreOptions) {
    super(options);
    const resolved = resolveOptions(options, this.maxSessionBytes);
    this.nodeId = resolved.nodeId;
    this.#ack = resolved.ack;
    this.#clock = new HybridClock(resolved.nodeId);
    this.#state = new ReplicaState({
      max: resolved.max,
      maxSizeBytes: resolved.maxSizeBytes,
      tombstoneTtlMs: this.tombstoneTtlMs,
      // The default principal reads two keys: decode only those. A custom one gets the whole session.
      principal: (_sid, record) =>
        this.principalOf(options.principal === undefined ? principalKeys(record) : JSON.parse(recordJson(record))),
      expired: (sid, principal) => this.lifecycle('expired', sid, principal),
    });
    this.#remote = new RemoteApply({
      nodeId: resolved.nodeId,
      maxDriftMs: resolved.maxDriftMs,
      tombstoneTtlMs: this.tombstoneTtlMs,
      logger: resolved.logger,
      clock: this.#clock,
      state: this.#state,
      tombstone: () => this.#tombstone(),
      replicate: (records) => void this.#mesh.replicate(records, 'none'),
      drift: (info) => this.emit('clock-drift', info),
    });
    this.#mesh = new Mesh({
      ...resolved,
      operationTimeoutMs: this.operationTimeoutMs,
      state: this.#state,
      applyRemote: (records, from) => this.#remote.apply(records, from),
      beforeAntiEntropy: () => this.#state.sweep(),
    });
    this.#mesh.on('peer-up', (info: PeerInfo) => this.emit('peer-up', info));
    this.#mesh.on('peer-down', (info: PeerInfo) => this.emit('peer-down', info));
    this.#mesh.on('refused', (peer: string, count: number) => this.#remote.refusedBy(peer, count));
    this.#ready = this.#mesh.ready.then(
      () => this.linkChanged(true),
      (err: Error) => {
        this.emit('error', err);
        throw err;
      },
    );
    this.#ready.catch(() => {});
  }

  /**
   * Resolves once the node listens and has joined: full state pulled from one live peer, or
   * `joinTimeoutMs` passed with no peer answering. Rejects when the listen address is unusable.
   */
  ready(): Promise<void> {
    return this.#ready;
  }

  /** The configured peers: id, address, connected, last seen (epoch ms), replication lag estimate (ms). */
  peers(): PeerInfo[] {
    return this.#mesh.peers();
  }

  /** Bytes of sessions and tombstones held on this node, as counted against `maxSizeBytes`. */
  get sizeBytes(): number {
    return this.#state.bytes;
  }

  /** Absolute expiry of `sid` in epoch ms, or `null` when no live session is held for it. */
  expiresAt(sid: string): number | null {
    const record = this.#state.get(sid);
    return record && isVisible(record, Date.now()) ? record.expiry!.at : null;
  }

  /** Drops expired sessions and old tombstones now; returns how many. Never required: reads skip them anyway. */
  prune(): number {
    return this.#state.sweep();
  }

  /** Runs an anti-entropy round now instead of waiting for `antiEntropyIntervalMs`. */
  antiEntropy(): void {
    this.#mesh.antiEntropy();
  }

  /**
   * TEST HOOK, not for production: closes this node's connections with `peerId` and refuses new
   * ones until {@link debugRestoreLink}, as a network partition between the two would.
   */
  debugDropLink(peerId: string): void {
    this.#mesh.partition(peerId);
  }

  /** TEST HOOK: ends {@link debugDropLink} for `peerId` and reconnects. */
  debugRestoreLink(peerId: string): void {
    this.#mesh.heal(peerId);
  }

  protected async read(sid: string): Promise<SessionData | null> {
    const record = this.#state.get(sid);
    return record && isVisible(record, Date.now()) ? decodeSession(sid, recordJson(record)) : null;
  }

  protected async write(sid: string, data: SessionData, _json: string, ttlMs: number): Promise<void> {
    const existed = this.#live(sid);
    const v = this.#clock.tick();
    const keys = emptyKeys();
    for (const [key, value] of Object.entries(data)) {
      const json = JSON.stringify(value);
      if (json !== undefined) keys[key] = { v, json };
    }
    const done = this.#commit([[sid, { reset: v, keys, expiry: { v, at: Date.now() + ttlMs } }]]);
    if (!existed) this.lifecycle('created', sid, this.#state.principalOf(sid));
    return done;
  }

  protected async merge(sid: string, change: SessionChange, ttlMs: number): Promise<void> {
    const current = this.#state.get(sid);
    // A tombstone refuses the patch: it comes from a request that loaded the session before the destroy.
    if (current?.dead) return;
    const v = this.#clock.tick();
    const keys = emptyKeys();
    for (const key of change.unset) keys[key] = { v };
    for (const [key, value] of Object.entries(change.set)) keys[key] = { v, json: JSON.stringify(value) };
    const delta: SessionRecord = { reset: current?.reset ?? ZERO, keys, expiry: { v, at: Date.now() + ttlMs } };
    if (current) {
      const bytes = byteLength(recordJson(mergeRecords(current, delta)));
      if (bytes > this.maxSessionBytes) throw new SessionTooLargeError(bytes, this.maxSessionBytes);
    }
    const existed = this.#live(sid);
    const done = this.#commit([[sid, delta]]);
    if (!existed && this.#live(sid)) this.lifecycle('created', sid, this.#state.principalOf(sid));
    return done;
  }

  protected async extend(sid: string, ttlMs: number): Promise<void> {
    const current = this.#state.get(sid);
    if (!current || !isVisible(current, Date.now())) return;
    const v = this.#clock.tick();
    return this.#commit([[sid, { reset: current.reset, keys: emptyKeys(), expiry: { v, at: Date.now() + ttlMs } }]]);
  }

  protected async remove(sid: string): Promise<void> {
    const ended = this.#live(sid);
    const principal = this.#state.principalOf(sid);
    const done = this.#commit([[sid, this.#tombstone()]]);
    if (ended) this.lifecycle('destroyed', sid, principal);
    return done;
  }

  protected override principalIds(principal: string): AsyncIterable<string> {
    return this.#liveSidsOf(principal);
  }

  /** Tombstones every live session of `principal` held here, as one replicated batch. */
  protected override removeByPrincipal(principal: string): Promise<number> {
    const now = Date.now();
    const sids = this.#state.sidsOf(principal).filter((sid) => this.#live(sid, now));
    if (sids.length === 0) return Promise.resolve(0);
    const done = this.#commit(sids.map((sid): SidRecord => [sid, this.#tombstone()]));
    for (const sid of sids) this.lifecycle('destroyed', sid, principal);
    return done.then(() => sids.length);
  }

  async *#liveSidsOf(principal: string): AsyncIterable<string> {
    // A copy, checked one by one: an expired member is dropped (and reported) as it is found.
    const now = Date.now();
    for (const sid of this.#state.sidsOf(principal)) {
      if (this.#live(sid, now) && this.#state.principalOf(sid) === principal) yield sid;
    }
  }

  /** Whether a live session is held for `sid`. */
  #live(sid: string, now = Date.now()): boolean {
    const record = this.#state.get(sid, now);
    return record !== undefined && isVisible(record, now);
  }

  protected async *scanIds(): AsyncIterable<string> {
    const now = Date.now();
    for (const sid of this.#state.sids()) {
      const record = this.#state.get(sid, now);
      if (record && isVisible(record, now)) yield sid;
    }
  }

  protected async count(): Promise<number> {
    let n = 0;
    for await (const _ of this.scanIds()) n++;
    return n;
  }

  /** Destroys every session on every node (tombstones replicate like single destroys). */
  protected async removeAll(): Promise<void> {
    const records: SidRecord[] = [];
    for await (const sid of this.scanIds()) records.push([sid, this.#tombstone()]);
    if (records.length) return this.#commit(records);
  }

  protected override async release(): Promise<void> {
    await this.#mesh.close();
    this.linkChanged(false);
  }

  #tombstone(): SessionRecord {
    return { reset: this.#clock.tick(), dead: true, keys: emptyKeys() };
  }

  /** Applies changes made here, then replicates them; resolves when `ack` peers applied them too. */
  #commit(records: SidRecord[]): Promise<void> {
    const now = Date.now();
    for (const [sid, record] of records) this.#state.apply(sid, record, now);
    return this.#mesh.replicate(records, this.#ack);
  }
}

/** The keys the default principal reads (`passport`, `userId`), decoded; the rest of the session is not. */
function principalKeys(record: SessionRecord): SessionData {
  const data: SessionData = {};
  for (const key of ['passport', 'userId']) {
    const json = Object.hasOwn(record.keys, key) ? record.keys[key]!.json : undefined;
    if (json !== undefined) data[key] = JSON.parse(json);
  }
  return data;
}
