import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import type { ConnectionOptions } from 'node:tls';
import { positiveInteger, StoreConfigError, type BaseStoreOptions } from '@sessionkit/core';
import type { AckMode, Address } from './mesh.js';

/** Environment variable read for the shared secret when the `secret` option is not given. */
export const SECRET_ENV = 'SESSIONKIT_CLUSTER_SECRET';
const MIN_SECRET_LENGTH = 16;

/**
 * TLS for the links between nodes (`node:tls`): every node presents `cert` (with `key`), and
 * accepts only peers whose certificate is signed by `ca`, both ways (mutual TLS). The dialling
 * side also checks the peer's certificate names the address it dialled (an IP address needs an IP
 * SAN), unless `servername` or `checkServerIdentity` say otherwise. Other `tls.connect` /
 * `tls.createServer` security options (`ciphers`, `minVersion`, `passphrase`, `pfx`, …) pass through.
 */
export interface ClusterTlsOptions
  extends Pick<
    ConnectionOptions,
    | 'key'
    | 'cert'
    | 'ca'
    | 'pfx'
    | 'passphrase'
    | 'crl'
    | 'ciphers'
    | 'minVersion'
    | 'maxVersion'
    | 'servername'
    | 'checkServerIdentity'
  > {}

export interface ReplicatedSessionStoreOptions extends BaseStoreOptions {
  /** Address this node listens on for its peers, `host:port` (e.g. `10.0.0.5:7400`). Required. */
  listen: string | Address;
  /** Every other node, `host:port` each. The list may include this node's own address (skipped). Default none. */
  peers?: (string | Address)[];
  /** This node's id: unique in the cluster, breaks ties between equal timestamps. Default `<host>-<pid>-<random>`. */
  nodeId?: string;
  /**
   * Shared secret (at least 16 characters): each side of a link proves it knows it over the other
   * side's nonce, and it keys every frame's MAC. Default `process.env.SESSIONKIT_CLUSTER_SECRET`.
   */
  secret?: string;
  /**
   * Acknowledgements `set`/`patch`/`destroy`/`clear` wait for: `'none'`, `'one'` peer, or `'all'`
   * configured peers. Default `'none'`.
   */
  ack?: AckMode;
  /**
   * Most sessions (and tombstones) held; beyond it the least recently used anonymous one is evicted
   * first (see `maxSizeBytes`). Default 100000.
   */
  max?: number;
  /**
   * Largest frame accepted from an authenticated peer, in bytes; at least `2 × maxSessionBytes + 65536`.
   * Default 16 MiB. Before authentication the limit is 1024 bytes.
   */
  maxFrameBytes?: number;
  /** Interval of anti-entropy rounds and of the expiry sweep, in ms. Default 5000. */
  antiEntropyIntervalMs?: number;
  /** How long `ready()` waits for any peer to answer before the node starts with what it has, in ms. Default 3000. */
  joinTimeoutMs?: number;
  /** Where rejected connections and protocol errors are reported. Default `console`. */
  logger?: { warn(message: string): void };
  /**
   * Most bytes of sessions and tombstones held per node (JSON text, sids and a fixed overhead per
   * record). Beyond it, and beyond `max`, anonymous sessions (no `principal`) and tombstones are
   * evicted first, least recently used first; a logged-in session only when none is left.
   * Default 64 MiB (as the memory store).
   */
  maxSizeBytes?: number;
  /**
   * Largest clock difference tolerated between nodes, in ms. A change whose version is more than
   * this ahead of this node's clock is refused (not applied, not acknowledged) and reported once
   * per node: a node with a clock far ahead would otherwise win every conflict, lengthen expiries
   * and keep tombstones alive by its skew. Default 60000.
   */
  maxDriftMs?: number;
  /** TLS for every link between nodes; without it session data crosses the network in clear text. Default none. */
  tls?: ClusterTlsOptions;
  /** A connecting peer must complete the handshake (TLS included) within this many ms. Default 5000. */
  handshakeTimeoutMs?: number;
  /** Most inbound connections waiting to complete the handshake; more are closed at once. Default 64. */
  maxPendingConnections?: number;
}

export interface ResolvedOptions {
  nodeId: string;
  listen: Address;
  peers: Address[];
  secret: string;
  ack: AckMode;
  max: number;
  maxFrameBytes: number;
  antiEntropyIntervalMs: number;
  joinTimeoutMs: number;
  logger: { warn(message: string): void };
  maxSizeBytes: number;
  maxDriftMs: number;
  tls: ClusterTlsOptions | undefined;
  handshakeTimeoutMs: number;
  maxPendingConnections: number;
}

/** Validates the options; throws `StoreConfigError` naming the option and how to fix it. */
export function resolveOptions(options: ReplicatedSessionStoreOptions, maxSessionBytes: number): ResolvedOptions {
  if (options.listen === undefined) {
    throw new StoreConfigError('listen is required: the host:port this node accepts peers on, e.g. "0.0.0.0:7400"');
  }
  const listen = parseAddress(options.listen, 'listen');
  const secret = options.secret ?? process.env[SECRET_ENV];
  if (typeof secret !== 'string' || secret.length < MIN_SECRET_LENGTH) {
    throw new StoreConfigError(
      `The cluster store needs a shared secret of at least ${MIN_SECRET_LENGTH} characters, the same on every ` +
        `node: pass { secret } or set ${SECRET_ENV} (e.g. to the output of \`openssl rand -base64 32\`).`,
    );
  }
  const ack = options.ack ?? 'none';
  if (!['none', 'one', 'all'].includes(ack)) {
    throw new StoreConfigError(`ack must be 'none', 'one' or 'all', got ${JSON.stringify(ack)}`);
  }
  const nodeId = options.nodeId ?? `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`;
  if (typeof nodeId !== 'string' || !/^[A-Za-z0-9._:-]{1,100}$/.test(nodeId)) {
    throw new StoreConfigError(
      `nodeId must be 1 to 100 characters of A-Z a-z 0-9 . _ : -, got ${JSON.stringify(nodeId)}`,
    );
  }
  const maxFrameBytes = positiveInteger(options.maxFrameBytes ?? 16 * 1024 * 1024, 'maxFrameBytes');
  const maxSizeBytes = positiveInteger(options.maxSizeBytes ?? 64 * 1024 * 1024, 'maxSizeBytes');
  if (maxSizeBytes < maxSessionBytes) {
    throw new StoreConfigError(
      `maxSizeBytes (${maxSizeBytes}) must be at least maxSessionBytes (${maxSessionBytes}), so any session fits`,
    );
  }
  if (maxFrameBytes < 2 * maxSessionBytes + 65_536) {
    const least = 2 * maxSessionBytes + 65_536;
    throw new StoreConfigError(
      `maxFrameBytes (${maxFrameBytes}) must be at least 2 × maxSessionBytes + 65536 = ${least}, ` +
        'so any session fits in a frame',
    );
  }
  return {
    nodeId,
    listen,
    peers: (options.peers ?? []).map((peer) => parseAddress(peer, 'peers')),
    secret,
    ack,
    max: positiveInteger(options.max ?? 100_000, 'max'),
    maxFrameBytes,
    antiEntropyIntervalMs: positiveInteger(options.antiEntropyIntervalMs ?? 5000, 'antiEntropyIntervalMs'),
    joinTimeoutMs: positiveInteger(options.joinTimeoutMs ?? 3000, 'joinTimeoutMs'),
    logger: options.logger ?? console,
    maxSizeBytes,
    maxDriftMs: positiveInteger(options.maxDriftMs ?? 60_000, 'maxDriftMs'),
    tls: tlsOptions(options.tls),
    handshakeTimeoutMs: positiveInteger(options.handshakeTimeoutMs ?? 5000, 'handshakeTimeoutMs'),
    maxPendingConnections: positiveInteger(options.maxPendingConnections ?? 64, 'maxPendingConnections'),
  };
}

function tlsOptions(tls: ClusterTlsOptions | undefined): ClusterTlsOptions | undefined {
  if (tls === undefined) return undefined;
  if (typeof tls !== 'object' || tls === null) {
    throw new StoreConfigError('tls must be an object with key, cert and ca');
  }
  const missing = (['key', 'cert', 'ca'] as const).filter((name) => tls[name] === undefined);
  if (tls.pfx === undefined && missing.length) {
    throw new StoreConfigError(
      `tls needs ${missing.join(', ')}: every node presents its certificate and checks its peers' against the CA`,
    );
  }
  if (tls.pfx !== undefined && tls.ca === undefined) {
    throw new StoreConfigError("tls needs ca: every node checks its peers' certificates against it");
  }
  return { ...tls };
}

/** Parses `host:port` (IPv6 as `[::1]:7400`). */
export function parseAddress(value: string | Address, what: string): Address {
  if (typeof value === 'object' && value !== null) {
    const { host, port } = value;
    if (typeof host === 'string' && Number.isInteger(port) && port >= 0 && port < 65_536) return { host, port };
  } else if (typeof value === 'string') {
    const match = /^(?:\[([0-9a-fA-F:.]+)\]|([^:/\s[\]]+)):(\d{1,5})$/.exec(value.trim());
    const port = Number(match?.[3]);
    if (match && port < 65_536) return { host: (match[1] ?? match[2])!, port };
  }
  throw new StoreConfigError(
    `${what}: expected "host:port" (e.g. "10.0.0.5:7400", "[::1]:7400"), got ${JSON.stringify(value)}`,
  );
}
