import { loadOptionalDriver, StoreConfigError } from '@sessionkit/core';
import type { NodeRedisClient } from './client.js';
import { redactText as redact } from './redact.js';
import { backoff } from './url.js';

/** A connection a store URL describes, for a node-redis client (see url.ts for the URL forms). */
export interface ConnectionSpec {
  topology: 'client' | 'cluster' | 'sentinel';
  hosts: { host: string; port: number }[];
  tls: boolean;
  username?: string;
  password?: string;
  database?: number;
  /** The Sentinel master name (`redis+sentinel://…/<name>`). */
  masterName?: string;
  sentinelPassword?: string;
}

// The factories of the `redis` package, loosely typed: the package is optional.
interface NodeRedisModule {
  createClient(options: object): NodeRedisClient;
  createCluster(options: object): NodeRedisClient;
  createSentinel(options: object): NodeRedisClient;
}

/**
 * A node-redis client for `spec`, with the fail-fast settings of the store's own clients (the
 * counterpart of `failFastOptions` for ioredis):
 * - `disableOfflineQueue`: a command sent while disconnected is refused, and commands waiting
 *   for a reply when the link drops fail instead of being replayed after a reconnect that may
 *   come much later (the store also waits for the first `ready` itself, see link.ts);
 * - `connectTimeout` = operationTimeoutMs; every call is also bounded by operationTimeoutMs;
 * - `reconnectStrategy`: reconnect forever with the same jittered backoff as ioredis' clients;
 * - Sentinel: a master connection that drops is not retried at its old address but looked up
 *   again through the sentinels (`reconnectStrategy: false` on the node clients), so a failover
 *   is followed instead of waiting for the old master to come back.
 * The client is not connected: the store connects it on its first call.
 * @throws StoreConfigError when the `redis` package is not installed, or for a database other
 *   than 0 on a Cluster.
 */
export function createNodeRedisClient(spec: ConnectionSpec, operationTimeoutMs: number, url: string): NodeRedisClient {
  const redis = loadNodeRedis();
  const auth = {
    ...(spec.username ? { username: spec.username } : {}),
    ...(spec.password ? { password: spec.password } : {}),
  };
  const socket = {
    connectTimeout: operationTimeoutMs,
    reconnectStrategy: (retries: number) => backoff(retries + 1),
    ...(spec.tls ? { tls: true as const } : {}),
  };
  const common = { ...auth, disableOfflineQueue: true };
  switch (spec.topology) {
    case 'cluster':
      if (spec.database)
        throw new StoreConfigError(
          `${redact(url)} names database ${spec.database}; a Redis Cluster has only database 0`,
        );
      return redis.createCluster({
        rootNodes: spec.hosts.map(({ host, port }) => ({ socket: { host, port } })),
        defaults: { ...common, socket },
      });
    case 'sentinel':
      return redis.createSentinel({
        name: spec.masterName,
        sentinelRootNodes: spec.hosts,
        nodeClientOptions: {
          ...common,
          ...(spec.database === undefined ? {} : { database: spec.database }),
          socket: { ...socket, reconnectStrategy: false },
        },
        sentinelClientOptions: {
          socket: { connectTimeout: operationTimeoutMs },
          ...(spec.sentinelPassword ? { password: spec.sentinelPassword } : {}),
        },
      });
    default:
      return redis.createClient({
        ...common,
        ...(spec.database === undefined ? {} : { database: spec.database }),
        socket: { ...socket, host: spec.hosts[0]!.host, port: spec.hosts[0]!.port },
      });
  }
}

/** The `redis` package is an optional peer dependency, loaded only when a URL asks for node-redis. */
function loadNodeRedis(): NodeRedisModule {
  return loadOptionalDriver<NodeRedisModule>('redis', 'A Redis store URL with client=node-redis', {
    from: import.meta.url,
  });
}
