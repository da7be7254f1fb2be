import { EventEmitter } from 'node:events';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { connect as tlsConnect, createServer as createTlsServer, type TLSSocket } from 'node:tls';
import { InboundGate, sameEndpoint } from './inbound-gate.js';
import { Link, type LinkOptions, type LinkRole } from './link.js';
import type { ClusterTlsOptions } from './options.js';
import type { Message } from './protocol.js';

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

/** A configured peer and this node's outbound connection to it. */
export interface Peer {
  readonly address: string;
  readonly host: string;
  readonly port: number;
  id: string | null;
  /** This node's own address (a shared peer list may name it); never dialled. */
  self: boolean;
  /** A peer at this address authenticated with this node's id (reported once). */
  duplicateWarned: boolean;
  link: Link | undefined;
  attempts: number;
  timer: NodeJS.Timeout | undefined;
  lastSeenAt: number | null;
}

export interface PeersOptions {
  nodeId: string;
  listen: Address;
  peers: Address[];
  secret: string;
  maxFrameBytes: number;
  /** A connection must complete its handshake (TLS included) within this many ms. */
  handshakeTimeoutMs: number;
  /** Most inbound connections that have not completed the handshake; more are closed at once. */
  maxPendingConnections: number;
  /** TLS for every link (server and client side, certificates checked both ways); plain TCP when absent. */
  tls: ClusterTlsOptions | undefined;
  logger: { warn(message: string): void };
}

const RECONNECT_MIN_MS = 100;
const RECONNECT_MAX_MS = 5000;

/**
 * The connections of a node: a server for peers (TCP or TLS) that caps connections still
 * authenticating, and one outbound connection per configured peer, redialled with exponential
 * backoff (100 ms doubling to 5 s, with jitter, unref'd timers).
 *
 * Events:
 * - `up(peer)`: an outbound connection authenticated; `down(peer)`: it closed after being up;
 * - `dial-closed(peer)`: any outbound connection closed, up or not;
 * - `message(link, peer, message)`: a message arrived, `peer` set on outbound connections only.
 */
export class Peers extends EventEmitter {
  /** Every configured peer, in the configured order. */
  readonly list: Peer[];
  readonly #options: PeersOptions;
  readonly #inbound = new Set<Link>();
  /** Outbound links still in their handshake, by their nonce: how a connection to itself is recognised. */
  readonly #dialing = new Map<string, { link: Link; peer: Peer }>();
  /** Counts inbound connections still authenticating against `maxPendingConnections`. */
  readonly #gate: InboundGate;
  /** Node ids cut off by the partition test hook. */
  readonly #partitioned = new Set<string>();
  #server: Server | undefined;
  #closed = false;

  constructor(options: PeersOptions) {
    super();
    this.#options = options;
    const { maxPendingConnections, logger } = options;
    this.#gate = new InboundGate({ maxPendingConnections, label: this.#label, logger });
    const own = `${options.listen.host}:${options.listen.port}`;
    this.list = options.peers.map(({ host, port }) => ({
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
    }));
  }

  /** Configured peers other than this node. */
  get remote(): Peer[] {
    return this.list.filter((peer) => !peer.self);
  }

  /** Starts listening; rejects when the address is unusable (e.g. `EADDRINUSE`). */
  async listen(): Promise<void> {
    const { tls, handshakeTimeoutMs } = this.#options;
    // TLS: both sides present a certificate signed by the configured CA (mutual TLS).
    const server = tls
      ? createTlsServer({ ...tls, requestCert: true, rejectUnauthorized: true, handshakeTimeout: handshakeTimeoutMs })
      : createServer();
    // Counted on the raw connection, before any TLS work, so the cap also bounds TLS handshakes.
    server.on('connection', (socket: Socket) => {
      if (this.#closed) return void socket.destroy();
      this.#gate.admit(socket);
    });
    server.on(tls ? 'secureConnection' : 'connection', (socket: Socket) => {
      if (!socket.destroyed) this.#accept(socket);
    });
    if (tls) server.on('tlsClientError', (err: Error, socket: TLSSocket) => this.#gate.tlsRefused(err, socket));
    this.#server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.#options.listen.port, this.#options.listen.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    server.on('error', (err) => this.#options.logger.warn(`${this.#label} server error: ${err.message}`));
  }

  /** Dials every configured peer but this node. */
  dialAll(): void {
    for (const peer of this.remote) this.#dial(peer);
  }

  /** The peer whose node id is `nodeId`, once learned. */
  byNode(nodeId: string | undefined): Peer | undefined {
    return this.list.find((peer) => peer.id !== null && peer.id === nodeId);
  }

  info(peer: Peer, lagMs: number | null): PeerInfo {
    return {
      id: peer.id,
      address: peer.address,
      connected: Boolean(peer.link?.open),
      lastSeenAt: peer.lastSeenAt,
      replicationLagMs: lagMs === null ? null : Math.round(lagMs * 100) / 100,
    };
  }

  /** Test hook: closes every connection with `peerId` and refuses new ones until {@link heal}. */
  partition(peerId: string): void {
    this.#partitioned.add(peerId);
    const reason = `partitioned from ${peerId} (test hook)`;
    for (const peer of this.list) if (peer.id === peerId) peer.link?.close(reason);
    for (const link of this.#inbound) if (link.remoteNode === peerId) link.close(reason);
  }

  /** Test hook: allows connections with `peerId` again and redials it now (unless a dial is under way). */
  heal(peerId: string): void {
    this.#partitioned.delete(peerId);
    for (const peer of this.list) {
      if (peer.id !== peerId) continue;
      peer.attempts = 0;
      if (peer.timer) {
        clearTimeout(peer.timer);
        this.#dial(peer);
      }
    }
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const peer of this.list) {
      clearTimeout(peer.timer);
      peer.link?.close('node closing');
    }
    for (const link of this.#inbound) link.close('node closing');
    const server = this.#server;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  get #label(): string {
    return `[sessionkit/cluster ${this.#options.nodeId}]`;
  }

  #linkOptions(role: LinkRole, admit: LinkOptions['admit']): LinkOptions {
    const { secret, nodeId, maxFrameBytes, handshakeTimeoutMs } = this.#options;
    return { secret, nodeId, role, maxFrameBytes, handshakeTimeoutMs, admit };
  }

  #refusal(node: string): string | undefined {
    return this.#partitioned.has(node) ? `partitioned from ${node} (test hook)` : undefined;
  }

  #accept(socket: Socket): void {
    if (this.#closed) return void socket.destroy();
    const authenticated = this.#gate.releaser(socket);
    const admit = (node: string, nonce: string) => this.#admitInbound(link, node, nonce);
    const link: Link = new Link(socket, this.#linkOptions('accept', admit));
    this.#inbound.add(link);
    link.on('open', authenticated);
    link.on('message', (message: Message) => this.#received(link, undefined, message));
    link.on('close', (reason: string, failed: boolean) => {
      this.#inbound.delete(link);
      if (!failed) return;
      const who = link.open
        ? link.remoteNode
        : link.remoteNode
          ? `claims ${link.remoteNode}, unauthenticated until its proof`
          : 'unauthenticated';
      const from = `${link.remoteAddress} (${who})`;
      this.#options.logger.warn(`${this.#label} closed inbound connection from ${from}: ${reason}`);
    });
  }

  /**
   * Decides on an inbound hello before this node proves anything. A hello with this node's own id
   * is this node dialling itself only when its nonce is the one of this node's own dial and the
   * two sockets are the two ends of one connection; then that peer address is skipped for good.
   * Anything else claiming this node's id (a replayed hello, a relay, a duplicate nodeId) is refused.
   */
  #admitInbound(link: Link, node: string, nonce: string): string | undefined {
    const refusal = this.#refusal(node);
    if (refusal !== undefined) return refusal;
    if (node !== this.#options.nodeId) return undefined;
    const dial = this.#dialing.get(nonce);
    const { remoteAddress, remotePort } = link.socket;
    if (dial && sameEndpoint(remoteAddress, remotePort, dial.link.socket.localAddress, dial.link.socket.localPort)) {
      dial.peer.self = true;
      const skipped = `peer ${dial.peer.address} is this node itself (its connection came back here): skipped`;
      this.#options.logger.warn(`${this.#label} ${skipped}`);
      dial.link.close('peer list names this node');
      return 'a node cannot connect to itself';
    }
    return (
      `authentication refused: the hello claims this node's id (${node}) but is not this node's own connection ` +
      '(replayed, relayed, or a duplicate nodeId)'
    );
  }

  #dial(peer: Peer): void {
    if (this.#closed) return;
    peer.timer = undefined;
    const { tls } = this.#options;
    const target = { host: peer.host, port: peer.port };
    const socket = tls ? tlsConnect({ ...tls, ...target }) : connect(target);
    const link = new Link(
      socket,
      this.#linkOptions('dial', (node) => this.#refusal(node)),
    );
    this.#dialing.set(link.nonce, { link, peer });
    let opened = false;
    link.on('open', (node: string) => {
      this.#dialing.delete(link.nonce);
      if (node === this.#options.nodeId) {
        if (!peer.duplicateWarned) {
          peer.duplicateWarned = true;
          this.#options.logger.warn(
            `${this.#label} peer ${peer.address} authenticates with this node's id: give every node a unique nodeId`,
          );
        }
        return link.close("peer has this node's id");
      }
      opened = true;
      peer.id = node;
      peer.link = link;
      peer.attempts = 0;
      peer.lastSeenAt = Date.now();
      this.emit('up', peer);
    });
    link.on('message', (message: Message) => this.#received(link, peer, message));
    link.on('close', (reason: string, failed: boolean) => {
      this.#dialing.delete(link.nonce);
      if (failed) {
        const who = link.open || opened ? link.remoteNode : 'unauthenticated';
        this.#options.logger.warn(`${this.#label} closed connection to ${peer.address} (${who}): ${reason}`);
      }
      if (opened) {
        peer.link = undefined;
        this.emit('down', peer);
      }
      this.emit('dial-closed', peer);
      if (!this.#closed && !peer.self) {
        const backoff = Math.min(RECONNECT_MAX_MS, RECONNECT_MIN_MS * 2 ** peer.attempts++);
        peer.timer = setTimeout(() => this.#dial(peer), backoff * (0.5 + Math.random() / 2)).unref();
      }
    });
  }

  #received(link: Link, outbound: Peer | undefined, message: Message): void {
    const peer = outbound ?? this.byNode(link.remoteNode);
    if (peer) peer.lastSeenAt = Date.now();
    this.emit('message', link, outbound, message);
  }
}
