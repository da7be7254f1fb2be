import type { NodeRedisClient } from './client.js';
import { slotOf, tagForSlot } from './keys.js';
import type { ClusterShape, SentinelShape, StandaloneShape, Topology } from './node-redis-shapes.js';

/** Sends one command (`args`) to the master that holds `key`. */
export type Send = (key: string, args: string[]) => Promise<unknown>;

/**
 * How each topology sends a command, always to a master: a standalone client to its server, a
 * Cluster to the slot of `key`, a Sentinel deployment to its master.
 */
export function sendFor(topology: Topology, client: NodeRedisClient): Send {
  const any = client as unknown;
  switch (topology) {
    case 'client':
      return (_key, args) => (any as StandaloneShape).sendCommand(args);
    case 'cluster':
      return (key, args) => (any as ClusterShape).sendCommand(routingKey(key), false, args);
    case 'sentinel':
      return (_key, args) => (any as SentinelShape).sendCommand(false, args);
  }
}

/**
 * A key node-redis routes to the Cluster slot Redis gives `key`. node-redis' slot function
 * (cluster-key-slot) skips an empty `{}` and takes the next `{…}` as the hash tag, where Redis
 * hashes such a key whole: for `sess:{}{a}` it would pick another slot than the server, and every
 * retry after MOVED would pick it again. Those keys are routed by a `{tag}` of the right slot.
 */
function routingKey(key: string): string {
  const open = key.indexOf('{');
  if (open === -1 || key.charCodeAt(open + 1) !== 0x7d) return key;
  return `{${tagForSlot(slotOf(key))}}`;
}
