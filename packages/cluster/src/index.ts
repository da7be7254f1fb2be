import { registerStore, StoreConfigError } from '@sessionkit/core';
import { ReplicatedSessionStore } from './cluster-store.js';
import type { ReplicatedSessionStoreOptions } from './options.js';

export { ReplicatedSessionStore };
export type { ClockDriftInfo } from './cluster-store.js';
export { SECRET_ENV, type ClusterTlsOptions, type ReplicatedSessionStoreOptions } from './options.js';
export type { AckMode, Address, PeerInfo } from './mesh.js';

const NUMBER_PARAMS = [
  'max',
  'maxSizeBytes',
  'maxDriftMs',
  'antiEntropyIntervalMs',
  'joinTimeoutMs',
  'handshakeTimeoutMs',
  'maxPendingConnections',
] as const;

// cluster://0.0.0.0:7400?peers=10.0.0.6:7400,10.0.0.7:7400&node=web-1&ack=one
registerStore(
  ['cluster'],
  (url, options) => {
    const query = url.searchParams;
    const fromUrl: Partial<ReplicatedSessionStoreOptions> = { listen: url.host };
    const peers = query.get('peers');
    if (peers) fromUrl.peers = peers.split(',').filter(Boolean);
    const node = query.get('node');
    if (node) fromUrl.nodeId = node;
    const ack = query.get('ack');
    if (ack) fromUrl.ack = ack as ReplicatedSessionStoreOptions['ack'];
    for (const name of NUMBER_PARAMS) {
      const value = query.get(name);
      if (value !== null) fromUrl[name] = Number(value);
    }
    if (!url.host) {
      const example = 'cluster://0.0.0.0:7400?peers=10.0.0.6:7400';
      throw new StoreConfigError(`cluster:// needs the listen address, e.g. ${example}`);
    }
    return new ReplicatedSessionStore({ ...options, ...fromUrl } as ReplicatedSessionStoreOptions);
  },
  'cluster://0.0.0.0:7400?peers=10.0.0.6:7400,10.0.0.7:7400&node=web-1',
);
