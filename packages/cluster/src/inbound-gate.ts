import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';

/** What an {@link InboundGate} needs from its node. */
export interface InboundGateOptions {
  /** Most inbound connections that have not completed the handshake; more are closed at once. */
  maxPendingConnections: number;
  /** The node's log prefix, e.g. `[sessionkit/cluster web-1]`. */
  label: string;
  logger: { warn(message: string): void };
}

/**
 * The door of a node's server before any authentication: counts inbound connections still
 * authenticating against `maxPendingConnections`, and reports TLS handshakes that fail.
 */
export class InboundGate {
  readonly #options: InboundGateOptions;
  /** Releases the count of an inbound connection waiting to authenticate, by remote `address:port`. */
  readonly #releasePending = new Map<string, () => void>();
  #pendingInbound = 0;
  #pendingCapWarned = false;

  constructor(options: InboundGateOptions) {
    this.#options = options;
  }

  /**
   * Caps inbound connections that have not authenticated yet: beyond `maxPendingConnections` a new
   * one is closed at once (and reported once until the count drops again). The connection stays
   * counted until it closes or the function {@link releaser} gave for it is called.
   */
  admit(socket: Socket): void {
    const { maxPendingConnections, label, logger } = this.#options;
    if (this.#pendingInbound >= maxPendingConnections) {
      socket.destroy();
      if (!this.#pendingCapWarned) {
        this.#pendingCapWarned = true;
        logger.warn(
          `${label} refused a connection from ${socket.remoteAddress}: ${this.#pendingInbound} connections ` +
            'are already waiting to authenticate (maxPendingConnections)',
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
      if (--this.#pendingInbound < maxPendingConnections / 2) this.#pendingCapWarned = false;
    };
    this.#releasePending.set(key, release);
    socket.once('close', release);
  }

  /**
   * Stops counting the connection of `socket` (call it once it authenticated). With TLS, `socket`
   * wraps the raw connection counted by {@link admit}; both have its endpoints, read here, now.
   */
  releaser(socket: Socket): () => void {
    const key = endpointKey(socket);
    return () => this.#releasePending.get(key)?.();
  }

  /**
   * A TLS handshake that did not complete: a refused certificate, or bytes that are not TLS, are
   * reported; a connection that merely went away first (or that the cap closed) is not.
   */
  tlsRefused(err: Error & { code?: string }, socket: TLSSocket): void {
    socket.destroy();
    const from = `${this.#options.label} closed inbound connection from ${socket.remoteAddress ?? 'a peer'}`;
    if (socket.authorizationError) {
      this.#options.logger.warn(`${from}: TLS client certificate refused (${socket.authorizationError})`);
    } else if (err.code !== 'ECONNRESET') {
      this.#options.logger.warn(`${from}: TLS handshake failed: ${err.message}`);
    }
  }
}

/** True when two socket endpoints are the same address and port (IPv4-mapped IPv6 matches IPv4). */
export function sameEndpoint(
  addressA: string | undefined,
  portA: number | undefined,
  addressB: string | undefined,
  portB: number | undefined,
): boolean {
  const plain = (address: string | undefined) => address?.replace(/^::ffff:/, '');
  return portA !== undefined && portA === portB && plain(addressA) !== undefined && plain(addressA) === plain(addressB);
}

function endpointKey(socket: Socket): string {
  return `${socket.remoteAddress}:${socket.remotePort}`;
}
