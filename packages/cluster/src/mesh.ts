import { EventEmitter } from 'node:events';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { connect as tlsConnect, createServer as createTlsServer, type TLSSocket } from 'node:tls';
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { StoreUnavailableError } from '@sessionkit/core';
import { Link, type LinkRole } from './link.js';
import type { ClusterTlsOptions } from './options.js';
import type { Message, SidRecord } from './protocol.js';
import { BUCKETS, type ReplicaState } from './replica-state.js';
import type { SessionRecord } from './record.js';

/** How many acknowledgements a write waits for: none, one peer, or every configured peer. */
export type AckMode = 'none' | 'one' | 'all';

/** A `host:port` address. */
export interface Address {
  host: string;
  port: number;
}

/** What `peers()` reports for each configured peer. */
export interface PeerInfo {
  /** The peer's node id, learned in the handshake; `null` until it first connected. */
  id: string | null;
  /** `host:port` from the peer list. */
  address: string;
  /** This node's connection to the peer is open and authenticated. */
  connected: boolean;
  /** Epoch ms of the last frame received from the peer, `null` when never. */
  lastSeenAt: number | null;
  /**
   * Estimated replication lag in ms: smoothed time from sending a change to the peer's
   * acknowledgement, which it sends after applying the change. `null` until measured.
   */
  replicationLagMs: number | null;
}

export interface MeshOptions {
  nodeId: string;
  listen: Address;
  peers: Address[];
  secret: string;
  maxFrameBytes: number;
  antiEntropyIntervalMs: number;
  joinTimeoutMs: number;
  operationTimeoutMs: number;
  /** A connection must complete its handshake (TLS included) within this many ms. */
  handshakeTimeoutMs: number;
  /** Most inbound connections that have not completed the handshake; more are closed at once. */
  maxPendingConnections: number;
  /** TLS for every link (server and client side, certificates checked both ways); plain TCP when absent. */
  tls: ClusterTlsOptions | undefined;
  logger: { warn(message: string): void };
  state: ReplicaState;
  /**
   * Merges records received from `from` (its node id) into the local state; returns how many it
   * refused (see `maxDriftMs`). A refused change is not acknowledged.
   */
  applyRemote(records: SidRecord[], from: string): number;
  /** Runs before each anti-entropy round (the expiry sweep). */
  beforeAntiEntropy(): void;
}

interface Waiter {
  needed: number;
  acks: number;
  /** Peers the change was sent to that may still acknowledge it. */
  pending: number;
  settle(err?: Error): void;
}

interface Outbox {
  records: SidRecord[];
  waiters: Waiter[];
}

interface Peer {
  address: string;
  host: string;
  port: number;
  id: string | null;
  /** This node's own address (a shared peer list may name it); never dialled. */
  self: boolean;
  /** A peer at this address authenticated with this node's id (reported once). */
  duplicateWarned: boolean;
  link: Link | undefined;
  attempts: number;
  timer: NodeJS.Timeout | undefined;
  lastSeenAt: number | null;
  lagMs: number | null;
  seq: number;
  outbox: Outbox | undefined;
  /** seq → [sent at (ms), waiters]. */
  inFlight: Map<number, [number, Waiter[]]>;
}

const RECONNECT_MIN_MS = 100;
const RECONNECT_MAX_MS = 5000;
const CHUNK_RECORDS = 500;

/**
 * The network side of a node: a TCP server for peers, one outbound connection per configured peer
 * (reconnected with exponential backoff), replication of local changes, the join, anti-entropy.
 *
 * Each node sends its own changes over its outbound connections only, so every pair of nodes
 * holds two connections, one per direction, and the changes of one node reach a peer in the order
 * they were made. Requests (`sync`, `digest`) are answered on the connection they came on.
 * Changes made while a peer is unreachable are not queued: the join or anti-entropy repairs them.
 *
 * Events: `peer-up(PeerInfo)`, `peer-down(PeerInfo)`.
 */
export class Mesh extends EventEmitter {
  readonly ready: Promise<void>;
  readonly #options: MeshOptions;
  readonly #peers: Peer[];
  readonly #inbound = new Set<Link>();
  /** Outbound links still in their handshake, by their nonce: how a connection to itself is recognised. */
  readonly #dialing = new Map<string, { link: Link; peer: Peer }>();
  /** Releases the count of an inbound connection waiting to authenticate, by remote `address:port`. */
  readonly #releasePending = new Map<string, () => void>();
  #pendingInbound = 0;
  #pendingCapWarned = false;
  readonly #blocked = new Set<string>();
  readonly #joinSyncs = new Map<number, Peer>();
  /** Links `rec` streams are being sent on, with how many. */
  readonly #streaming = new Map<Link, number>();
  #server: Server | undefined;
  #antiEntropy: NodeJS.Timeout | undefined;
  #joinTimer: NodeJS.Timeout | undefined;
  #joinTimedOut = false;
  #joined = false;
  #finishJoin: () => void = () => {};
  #nextSyncId = 0;
  #flushScheduled = false;
  #closed = false;

  constructor(options: MeshOptions) {
    super();
    this.#options = options;
    const own = `${options.listen.host}:${options.listen.port}`;
    this.#peers = options.peers.map(({ host, port }) => ({
      address: `${host}:${port}`,
      host,
      port,
      id: null,
      self: `${host}:${port}` === own,
      duplicateWarned: false,
      link: undefined,
      attempts: 0,
      timer: undefined,
      lastSeenAt: null,
      lagMs: null,
      seq: 0,
      outbox: undefined,
      inFlight: new Map(),
    }));
    this.ready = this.#start();
  }

  /** Configured peers other than this node. */
  get remotePeers(): number {
    return this.#peers.filter((peer) => !peer.self).length;
  }

  peers(): PeerInfo[] {
    return this.#peers.filter((peer) => !peer.self).map((peer) => this.#info(peer));
  }

  /**
   * Sends changes made on this node to every connected peer (batched per event-loop turn) and
   * resolves once `ack` peers have applied them. Rejects with `StoreUnavailableError` when fewer
   * peers than needed are connected, or when one that was sent the change disconnects first.
   */
  replicate(records: SidRecord[], ack: AckMode): Promise<void> {
    const targets = this.#peers.filter((peer) => peer.link?.open);
    const needed = ack === 'none' ? 0 : ack === 'one' ? Math.min(1, this.remotePeers) : this.remotePeers;
    let waiter: Waiter | undefined;
    let result: Promise<void> = Promise.resolve();
    if (needed > targets.length) {
      result = Promise.reject(
        new StoreUnavailableError(
          `ack '${ack}' needs ${needed} peer(s) but ${targets.length} of ${this.remotePeers} are connected; the change was applied on this node and reaches the others by anti-entropy when they are back`,
        ),
      );
    } else if (needed > 0) {
      result = new Promise<void>((resolve, reject) => {
        const timer = setTimeout(
          () => w.settle(new StoreUnavailableError(`ack '${ack}': ${w.acks} of ${needed} acknowledgement(s) within ${this.#options.operationTimeoutMs} ms`)),
          this.#options.operationTimeoutMs,
        ).unref();
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
      peer.outbox ??= { records: [], waiters: [] };
      for (const record of records) peer.outbox.records.push(record);
      if (waiter) peer.outbox.waiters.push(waiter);
    }
    if (!this.#flushScheduled && targets.length) {
      this.#flushScheduled = true;
      setImmediate(() => this.#flush());
    }
    return result;
  }

  /** Test hook: closes every connection with `peerId` and refuses new ones until {@link restoreLink}. */
  dropLink(peerId: string): void {
    this.#blocked.add(peerId);
    for (const peer of this.#peers) if (peer.id === peerId) peer.link?.close('link dropped by debugDropLink');
    for (const link of this.#inbound) if (link.remoteNode === peerId) link.close('link dropped by debugDropLink');
  }

  /** Test hook: allows connections with `peerId` again and redials it now (unless a dial is under way). */
  restoreLink(peerId: string): void {
    this.#blocked.delete(peerId);
    for (const peer of this.#peers) {
      if (peer.id !== peerId) continue;
      peer.attempts = 0;
      if (peer.timer) {
        clearTimeout(peer.timer);
        this.#dial(peer);
      }
    }
  }

  /** Runs one anti-entropy round now: sends this node's digests to every connected peer (once joined). */
  antiEntropy(): void {
    this.#options.beforeAntiEntropy();
    this.#sendDigests();
  }

  #sendDigests(): void {
    if (!this.#joined) return;
    const d = this.#options.state.digests();
    for (const peer of this.#peers) peer.link?.send({ t: 'digest', d });
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#antiEntropy);
    clearTimeout(this.#joinTimer);
    for (const peer of this.#peers) {
      clearTimeout(peer.timer);
      peer.link?.close('node closing');
    }
    for (const link of this.#inbound) link.close('node closing');
    this.#finishJoin();
    const server = this.#server;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  async #start(): Promise<void> {
    const { tls, handshakeTimeoutMs } = this.#options;
    // TLS: both sides present a certificate signed by the configured CA (mutual TLS).
    const server = tls
      ? createTlsServer({ ...tls, requestCert: true, rejectUnauthorized: true, handshakeTimeout: handshakeTimeoutMs })
      : createServer();
    // Counted on the raw connection, before any TLS work, so the cap also bounds TLS handshakes.
    server.on('connection', (socket: Socket) => this.#admitConnection(socket));
    server.on(tls ? 'secureConnection' : 'connection', (socket: Socket) => {
      if (!socket.destroyed) this.#accept(socket);
    });
    if (tls) server.on('tlsClientError', (err: Error, socket: TLSSocket) => this.#tlsRefused(err, socket));
    this.#server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.#options.listen.port, this.#options.listen.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    server.on('error', (err) => this.#options.logger.warn(`${this.#label} server error: ${err.message}`));
    // The listening server keeps the process alive until close(), like any server; timers do not.
    this.#antiEntropy = setInterval(() => this.antiEntropy(), this.#options.antiEntropyIntervalMs).unref();
    const joined = new Promise<void>((resolve) => {
      this.#finishJoin = () => {
        this.#joined = true;
        clearTimeout(this.#joinTimer);
        resolve();
      };
    });
    if (this.remotePeers === 0) this.#finishJoin();
    else {
      this.#joinTimer = setTimeout(() => {
        this.#joinTimedOut = true;
        if (this.#joinSyncs.size === 0) this.#finishJoin();
      }, this.#options.joinTimeoutMs).unref();
      for (const peer of this.#peers) if (!peer.self) this.#dial(peer);
    }
    await joined;
  }

  get #label(): string {
    return `[sessionkit/cluster ${this.#options.nodeId}]`;
  }

  #linkOptions(role: LinkRole, admit: (node: string, nonce: string) => string | undefined) {
    const { secret, nodeId, maxFrameBytes, handshakeTimeoutMs } = this.#options;
    return { secret, nodeId, role, maxFrameBytes, handshakeTimeoutMs, admit };
  }

  /**
   * Caps inbound connections that have not authenticated yet: beyond `maxPendingConnections` a new
   * one is closed at once (and reported once until the count drops again).
   */
  #admitConnection(socket: Socket): void {
    if (this.#closed) return void socket.destroy();
    if (this.#pendingInbound >= this.#options.maxPendingConnections) {
      socket.destroy();
      if (!this.#pendingCapWarned) {
        this.#pendingCapWarned = true;
        this.#options.logger.warn(
          `${this.#label} refused a connection from ${socket.remoteAddress}: ${this.#pendingInbound} connections are ` +
            `already waiting to authenticate (maxPendingConnections)`,
        );
      }
      return;
    }
    this.#pendingInbound++;
    const key = endpointKey(socket);
    let counted = true;
    const release = () => {
      if (!counted) return;
      counted = false;
      this.#releasePending.delete(key);
      if (--this.#pendingInbound < this.#options.maxPendingConnections / 2) this.#pendingCapWarned = false;
    };
    this.#releasePending.set(key, release);
    socket.once('close', release);
  }

  /**
   * A TLS handshake that did not complete: a refused certificate, or bytes that are not TLS, are
   * reported; a connection that merely went away first (or that the cap closed) is not.
   */
  #tlsRefused(err: Error & { code?: string }, socket: TLSSocket): void {
    socket.destroy();
    const from = socket.remoteAddress ?? 'a peer';
    if (socket.authorizationError) {
      this.#options.logger.warn(`${this.#label} closed inbound connection from ${from}: TLS client certificate refused (${socket.authorizationError})`);
    } else if (err.code !== 'ECONNRESET') {
      this.#options.logger.warn(`${this.#label} closed inbound connection from ${from}: TLS handshake failed: ${err.message}`);
    }
  }

  #accept(socket: Socket): void {
    if (this.#closed) return void socket.destroy();
    // With TLS, `socket` wraps the raw connection counted by #admitConnection; both have its endpoints.
    const key = endpointKey(socket);
    const link: Link = new Link(socket, this.#linkOptions('accept', (node, nonce) => this.#admitInbound(link, node, nonce)));
    this.#inbound.add(link);
    link.on('open', () => this.#releasePending.get(key)?.());
    link.on('message', (message: Message) => this.#onMessage(link, undefined, message));
    link.on('close', (reason: string, failed: boolean) => {
      this.#inbound.delete(link);
      if (failed) {
        const who = link.remoteNode ? `claims ${link.remoteNode}, unauthenticated until its proof` : 'unauthenticated';
        this.#options.logger.warn(`${this.#label} closed inbound connection from ${link.remoteAddress} (${link.open ? link.remoteNode : who}): ${reason}`);
      }
    });
  }

  /**
   * Decides on an inbound hello before this node proves anything. A hello with this node's own id
   * is this node dialling itself only when its nonce is the one of this node's own dial and the
   * two sockets are the two ends of one connection; then that peer address is skipped for good.
   * Anything else claiming this node's id (a replayed hello, a relay, a duplicate nodeId) is refused.
   */
  #admitInbound(link: Link, node: string, nonce: string): string | undefined {
    if (this.#blocked.has(node)) return 'link dropped by debugDropLink';
    if (node !== this.#options.nodeId) return undefined;
    const dial = this.#dialing.get(nonce);
    if (dial && sameEndpoint(link.socket.remoteAddress, link.socket.remotePort, dial.link.socket.localAddress, dial.link.socket.localPort)) {
      dial.peer.self = true;
      this.#options.logger.warn(
        `${this.#label} peer ${dial.peer.address} is this node itself (its connection came back here): skipped`,
      );
      dial.link.close('peer list names this node');
      return 'a node cannot connect to itself';
    }
    return `authentication refused: the hello claims this node's id (${node}) but is not this node's own connection (replayed, relayed, or a duplicate nodeId)`;
  }

  #dial(peer: Peer): void {
    if (this.#closed) return;
    peer.timer = undefined;
    const { tls } = this.#options;
    const socket = tls ? tlsConnect({ ...tls, host: peer.host, port: peer.port }) : connect({ host: peer.host, port: peer.port });
    const link = new Link(socket, this.#linkOptions('dial', (node) => (this.#blocked.has(node) ? 'link dropped by debugDropLink' : undefined)));
    this.#dialing.set(link.nonce, { link, peer });
    let opened = false;
    link.on('open', (node: string) => {
      this.#dialing.delete(link.nonce);
      if (node === this.#options.nodeId) {
        if (!peer.duplicateWarned) {
          peer.duplicateWarned = true;
          this.#options.logger.warn(`${this.#label} peer ${peer.address} authenticates with this node's id: give every node a unique nodeId`);
        }
        return link.close('peer has this node\'s id');
      }
      opened = true;
      peer.id = node;
      peer.link = link;
      peer.attempts = 0;
      peer.lastSeenAt = Date.now();
      this.emit('peer-up', this.#info(peer));
      if (!this.#joined) {
        const id = ++this.#nextSyncId;
        this.#joinSyncs.set(id, peer);
        link.send({ t: 'sync', id });
      } else {
        // Catch up on what this node missed while the link was down.
        link.send({ t: 'digest', d: this.#options.state.digests() });
      }
    });
    link.on('message', (message: Message) => this.#onMessage(link, peer, message));
    link.on('close', (reason: string, failed: boolean) => {
      this.#dialing.delete(link.nonce);
      if (failed) {
        const who = link.open || opened ? link.remoteNode : 'unauthenticated';
        this.#options.logger.warn(`${this.#label} closed connection to ${peer.address} (${who}): ${reason}`);
      }
      if (opened) {
        peer.link = undefined;
        this.#abandon(peer);
        this.emit('peer-down', this.#info(peer));
        // A change the lost peer sent to only some of the others (its link to one was down) is
        // still on one of them: compare with every remaining peer now, not at the next round.
        if (!this.#closed) this.#sendDigests();
      }
      for (const [id, syncPeer] of this.#joinSyncs) if (syncPeer === peer) this.#joinSyncs.delete(id);
      if (!this.#joined && this.#joinTimedOut && this.#joinSyncs.size === 0) this.#finishJoin();
      if (!this.#closed && !peer.self) {
        const delay = Math.min(RECONNECT_MAX_MS, RECONNECT_MIN_MS * 2 ** peer.attempts++) * (0.5 + Math.random() / 2);
        peer.timer = setTimeout(() => this.#dial(peer), delay).unref();
      }
    });
  }

  /** A peer's connection closed: changes waiting for its acknowledgement can no longer get it. */
  #abandon(peer: Peer): void {
    const waiters = [...(peer.outbox?.waiters ?? []), ...[...peer.inFlight.values()].flatMap(([, w]) => w)];
    peer.outbox = undefined;
    peer.inFlight.clear();
    for (const waiter of waiters) {
      if (--waiter.pending + waiter.acks < waiter.needed) {
        waiter.settle(new StoreUnavailableError(`peer ${peer.address} disconnected before acknowledging the change; it reaches the peer by anti-entropy`));
      }
    }
  }

  #flush(): void {
    this.#flushScheduled = false;
    for (const peer of this.#peers) {
      const outbox = peer.outbox;
      if (!outbox) continue;
      peer.outbox = undefined;
      const link = peer.link;
      if (!link?.open) {
        for (const waiter of outbox.waiters) if (--waiter.pending + waiter.acks < waiter.needed) waiter.settle(new StoreUnavailableError(`peer ${peer.address} disconnected`));
        continue;
      }
      const chunks = [...this.#chunks(outbox.records)];
      const first = peer.seq + 1;
      peer.seq += chunks.length;
      // Waiters count as acknowledged by this peer when the last frame of the batch is. Registered
      // before sending, so a link that fails in the middle of the batch settles them.
      peer.inFlight.set(peer.seq, [Date.now(), outbox.waiters]);
      chunks.forEach((r, i) => link.send({ t: 'ops', seq: first + i, r }));
    }
  }

  #onMessage(link: Link, outboundPeer: Peer | undefined, message: Message): void {
    const peer = outboundPeer ?? this.#peers.find((p) => p.id !== null && p.id === link.remoteNode);
    if (peer) peer.lastSeenAt = Date.now();
    const from = link.remoteNode!;
    switch (message.t) {
      case 'ops': {
        const refused = this.#options.applyRemote(message.r, from);
        link.send(refused ? { t: 'ack', seq: message.seq, refused } : { t: 'ack', seq: message.seq });
        return;
      }
      case 'rec':
        this.#options.applyRemote(message.r, from);
        return;
      case 'ack': {
        const entry = outboundPeer?.inFlight.get(message.seq);
        if (!outboundPeer || !entry) return;
        outboundPeer.inFlight.delete(message.seq);
        const lag = Date.now() - entry[0];
        outboundPeer.lagMs = outboundPeer.lagMs === null ? lag : outboundPeer.lagMs * 0.8 + lag * 0.2;
        if (message.refused) {
          this.emit('refused', outboundPeer.id, message.refused);
          for (const waiter of entry[1]) {
            if (--waiter.pending + waiter.acks < waiter.needed) {
              waiter.settle(
                new StoreUnavailableError(
                  `peer ${outboundPeer.address} refused the change: its versions are ahead of the peer's clock by more than maxDriftMs (check this node's clock)`,
                ),
              );
            }
          }
          return;
        }
        for (const waiter of entry[1]) if (++waiter.acks >= waiter.needed) waiter.settle();
        return;
      }
      case 'sync':
        void this.#stream(link, message.b === undefined ? undefined : new Set(message.b), message.id);
        return;
      case 'synced':
        if (this.#joinSyncs.delete(message.id) && !this.#joined) this.#finishJoin();
        return;
      case 'digest': {
        // While joining, the full state is on its way; while a stream to this peer runs, the
        // next round will see what it repaired.
        if (!this.#joined || this.#streaming.has(link)) return;
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
    for (const r of this.#chunks(records)) {
      if (!link.open) return;
      link.send({ t: 'rec', r });
      // Let the node serve between chunks, and send no faster than the peer reads.
      await yieldToEventLoop();
      await link.drained();
    }
  }

  /** Splits records into frames that stay well under `maxFrameBytes`. */
  *#chunks(records: SidRecord[]): Iterable<SidRecord[]> {
    const limit = this.#options.maxFrameBytes / 2;
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

  #info(peer: Peer): PeerInfo {
    return {
      id: peer.id,
      address: peer.address,
      connected: Boolean(peer.link?.open),
      lastSeenAt: peer.lastSeenAt,
      replicationLagMs: peer.lagMs === null ? null : Math.round(peer.lagMs * 100) / 100,
    };
  }
}

/** Upper bound of a record's size in a frame: JSON escaping at most doubles a value's text. */
function estimateBytes(record: SessionRecord): number {
  let bytes = 128;
  for (const [key, entry] of Object.entries(record.keys)) bytes += 3 * key.length + 2 * 3 * (entry.json?.length ?? 0) + 64;
  return bytes;
}

/** True when two socket endpoints are the same address and port (IPv4-mapped IPv6 matches IPv4). */
function sameEndpoint(addressA: string | undefined, portA: number | undefined, addressB: string | undefined, portB: number | undefined): boolean {
  const plain = (address: string | undefined) => address?.replace(/^::ffff:/, '');
  return portA !== undefined && portA === portB && plain(addressA) !== undefined && plain(addressA) === plain(addressB);
}

function endpointKey(socket: Socket): string {
  return `${socket.remoteAddress}:${socket.remotePort}`;
}
