import { queryOptions, registerStore, StoreConfigError } from '@sessionkit/core';
import { ReplicatedSessionStore } from './cluster-store.js';
import type { ReplicatedSessionStoreOptions } from './options.js';

export { ReplicatedSessionStore };
export type { ClockDriftInfo } from './cluster-store.js';
export { SECRET_ENV, type ClusterTlsOptions, type ReplicatedSessionStoreOptions } from './options.js';
export type { AckMode, Address, PeerInfo } from './mesh.js';

/** Options a `cluster://` URL may carry; any other parameter is refused. */
const URL_PARAMS = {
  peers: 'list',
  node: 'string',
  ack: ['none', 'one', 'all'],
  max: 'integer',
  maxSizeBytes: 'integer',
  maxDriftMs: 'integer',
  antiEntropyIntervalMs: 'integer',
  joinTimeoutMs: 'integer',
  handshakeTimeoutMs: 'integer',
  maxPendingConnections: 'integer',
} as const;

// cluster://0.0.0.0:7400?peers=10.0.0.6:7400,10.0.0.7:7400&node=web-1&ack=one
registerStore(
  ['cluster'],
  (url, options) => {
    const { peers, node, ...numbers } = queryOptions(url, URL_PARAMS, { what: 'cluster://' });
    const fromUrl: Partial<ReplicatedSessionStoreOptions> = { listen: url.host, ...numbers };
    if (peers?.length) fromUrl.peers = peers;
    if (node) fromUrl.nodeId = node;
    if (!url.host) {
      const example = 'cluster://0.0.0.0:7400?peers=10.0.0.6:7400';
      throw new StoreConfigError(`cluster:// needs the listen address, e.g. ${example}`);
    }
    return new ReplicatedSessionStore({ ...options, ...fromUrl } as ReplicatedSessionStoreOptions);
  },
  'cluster://0.0.0.0:7400?peers=10.0.0.6:7400,10.0.0.7:7400&node=web-1',
);
