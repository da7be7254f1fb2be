import { EventEmitter } from 'node:events';
import type { Link } from './link.js';
import type { ClusterTlsOptions } from './options.js';
import { Outbox, type AckMode } from './outbox.js';
import { Peers, type Address, type Peer, type PeerInfo } from './peers.js';
import type { Message, SidRecord } from './protocol.js';
import type { ReplicaState } from './replica-state.js';
import { Sync } from './sync.js';

export type { AckMode } from './outbox.js';
export type { Address, PeerInfo } from './peers.js';

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

/**
 * The network side of a node, wiring three parts together: {@link Peers} (the server, one
 * outbound connection per configured peer, reconnects), {@link Outbox} (replication of local
 * changes and their acknowledgements) and {@link Sync} (the join and anti-entropy).
 *
 * Each node sends its own changes over its outbound connections only, so every pair of nodes
 * holds two connections, one per direction, and the changes of one node reach a peer in the order
 * they were made. Requests (`sync`, `digest`) are answered on the connection they came on.
 *
 * Events: `peer-up(PeerInfo)`, `peer-down(PeerInfo)`, `refused(peerId, count)` when a peer refused
 * changes of this node (clock drift).
 */
export class Mesh extends EventEmitter {
  readonly ready: Promise<void>;
  readonly #options: MeshOptions;
  readonly #peers: Peers;
  readonly #outbox: Outbox;
  readonly #sync: Sync;
  #closed = false;

  constructor(options: MeshOptions) {
    super();
    this.#options = options;
    this.#peers = new Peers(options);
    this.#outbox = new Outbox({
      operationTimeoutMs: options.operationTimeoutMs,
      maxFrameBytes: options.maxFrameBytes,
      onRefused: (peer, count) => this.emit('refused', peer.id, count),
    });
    this.#sync = new Sync({
      state: options.state,
      maxFrameBytes: options.maxFrameBytes,
      antiEntropyIntervalMs: options.antiEntropyIntervalMs,
      joinTimeoutMs: options.joinTimeoutMs,
      links: () => this.#peers.list.map((peer) => peer.link),
      beforeAntiEntropy: options.beforeAntiEntropy,
    });
    this.#peers.on('up', (peer: Peer) => {
      this.emit('peer-up', this.#info(peer));
      this.#sync.peerUp(peer, peer.link!);
    });
    this.#peers.on('down', (peer: Peer) => {
      this.#outbox.abandon(peer);
      this.emit('peer-down', this.#info(peer));
      // A change the lost peer sent to only some of the others (its link to one was down) is
      // still on one of them: compare with every remaining peer now, not at the next round.
      if (!this.#closed) this.#sync.sendDigests();
    });
    this.#peers.on('dial-closed', (peer: Peer) => this.#sync.peerGone(peer));
    this.#peers.on('message', (link: Link, peer: Peer | undefined, message: Message) => {
      this.#route(link, peer, message);
    });
    this.ready = this.#start();
  }

  /** Configured peers other than this node. */
  get remotePeers(): number {
    return this.#peers.remote.length;
  }

  peers(): PeerInfo[] {
    return this.#peers.remote.map((peer) => this.#info(peer));
  }

  /**
   * Sends changes made on this node to every connected peer (batched per event-loop turn) and
   * resolves once `ack` peers have applied them. Rejects with `StoreUnavailableError` when fewer
   * peers than needed are connected, or when one that was sent the change disconnects first.
   */
  replicate(records: SidRecord[], ack: AckMode): Promise<void> {
    const targets = this.#peers.list.filter((peer) => peer.link?.open);
    return this.#outbox.replicate(records, ack, targets, this.remotePeers);
  }

  /** Test hook: closes every connection with `peerId` and refuses new ones until {@link heal}. */
  partition(peerId: string): void {
    this.#peers.partition(peerId);
  }

  /** Test hook: allows connections with `peerId` again and redials it now (unless a dial is under way). */
  heal(peerId: string): void {
    this.#peers.heal(peerId);
  }

  /** Runs one anti-entropy round now: sends this node's digests to every connected peer (once joined). */
  antiEntropy(): void {
    this.#sync.antiEntropy();
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#sync.close();
    await this.#peers.close();
  }

  async #start(): Promise<void> {
    await this.#peers.listen();
    // The listening server keeps the process alive until close(), like any server; timers do not.
    const joined = this.#sync.start(this.remotePeers);
    if (!this.#closed) this.#peers.dialAll();
    await joined;
  }

  #route(link: Link, outbound: Peer | undefined, message: Message): void {
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
      case 'ack':
        if (outbound) this.#outbox.acknowledged(outbound, message.seq, message.refused);
        return;
      default:
        this.#sync.handle(link, message);
    }
  }

  #info(peer: Peer): PeerInfo {
    return this.#peers.info(peer, this.#outbox.lagMs(peer));
  }
}
