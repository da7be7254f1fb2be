import { Cluster, Redis } from 'ioredis';
import { createClient, createCluster } from 'redis';
import type { AnyRedisClient } from '../../src/client.js';

/** Both client libraries the store drives; the tests that must hold on either run once per kind. */
export const CLIENT_KINDS = ['ioredis', 'node-redis'] as const;
export type ClientKind = (typeof CLIENT_KINDS)[number];

/** `url` asking for a client of `kind`: `client=node-redis` added to the query, ioredis (the default) left as it is. */
export function withClient(url: string, kind: ClientKind): string {
  if (kind === 'ioredis') return url;
  return `${url}${url.includes('?') ? '&' : '?'}client=${kind}`;
}

/** A client handed to a store, and how the test closes it afterwards. */
export interface TestClient {
  client: AnyRedisClient;
  close(): Promise<void>;
}

/**
 * A client of `kind` on the standalone server at `url`, with its library's defaults (offline
 * queue on, reconnect forever), as an app would hand it in. ioredis connects by itself; a
 * node-redis client is connected here, as its owner must.
 */
export async function standaloneClient(
  kind: ClientKind,
  url: string,
  { autoPipelining = false } = {},
): Promise<TestClient> {
  if (kind === 'ioredis') {
    // node-redis writes the commands of one tick together by default; ioredis with enableAutoPipelining
    const client = new Redis(url, { lazyConnect: true, enableAutoPipelining: autoPipelining });
    return { client, close: () => quit(client) };
  }
  const client = createClient({ url });
  client.on('error', () => {}); // the test's own listener; the store's goes with close()
  await client.connect();
  return { client, close: () => quit(client) };
}

/** A Cluster client of `kind` seeded with `nodes`, connected. */
export async function clusterClient(
  kind: ClientKind,
  nodes: { host: string; port: number }[],
  autoPipelining = false,
): Promise<TestClient> {
  if (kind === 'ioredis') {
    const client = new Cluster(nodes, { enableAutoPipelining: autoPipelining });
    return { client, close: () => quit(client) };
  }
  const client = createCluster({ rootNodes: nodes.map((socket) => ({ socket })) });
  client.on('error', () => {});
  await client.connect();
  return { client, close: () => quit(client) };
}

/** Sends one raw command through either client (`CLIENT INFO`, for instance). */
export function command(client: AnyRedisClient, args: string[]): Promise<unknown> {
  if ('call' in client) return client.call(args[0]!, ...args.slice(1));
  return (client as unknown as { sendCommand(args: string[]): Promise<unknown> }).sendCommand(args);
}

/** True once the client is closed for good: ioredis status `end`, node-redis not open. */
export function isClosed(client: AnyRedisClient): boolean {
  return 'status' in client ? client.status === 'end' : !client.isOpen;
}

async function quit(client: AnyRedisClient): Promise<void> {
  if (isClosed(client)) return;
  if ('status' in client) {
    await client.quit().catch(() => client.disconnect());
    return;
  }
  await (client as unknown as { close(): Promise<void> }).close().catch(() => {});
}
